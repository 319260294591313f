import {
  invalidArgument,
  z,
  PAYMENT_WEBHOOK_SIGNATURE_HEADER,
  unavailable,
  verifyPaymentWebhook,
  type Money,
} from '@parley/kit';
import type {
  CardDescription,
  ChargeOutcome,
  ChargeReference,
  ChargeResult,
  PaymentMetadata,
  PaymentProcessor,
  ProcessorEvent,
} from '../domain/paymentProcessor';

const UNAVAILABLE = 'PAYMENT_PROCESSOR_UNAVAILABLE';

const cardSchema = z.object({
  brand: z.enum(['visa', 'mastercard', 'amex', 'discover', 'unknown']),
  last4: z.string().regex(/^\d{4}$/),
  expMonth: z.number().int().min(1).max(12),
  expYear: z.number().int(),
});

const chargeSchema = z.object({
  id: z.string(),
  status: z.enum(['requires_action', 'succeeded', 'failed']),
  failureCode: z.string().optional(),
  failureMessage: z.string().optional(),
  nextAction: z.object({ url: z.string() }).optional(),
  metadata: z.record(z.string(), z.string()).default({}),
  refund: z.object({ id: z.string(), metadata: z.record(z.string(), z.string()).default({}) }).optional(),
});

const errorSchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    declineCode: z.string().optional(),
    charge: chargeSchema.optional(),
  }),
});

const eventSchema = z.object({
  id: z.string().min(1).max(200),
  type: z.string(),
  data: z.object({ object: z.unknown() }),
});

function outcomeOf(charge: z.infer<typeof chargeSchema>): ChargeOutcome {
  if (charge.status === 'succeeded') return { status: 'succeeded' };
  if (charge.status === 'requires_action')
    return { status: 'requires_action', actionUrl: charge.nextAction?.url ?? '' };
  return {
    status: 'failed',
    failureCode: charge.failureCode ?? 'generic_decline',
    failureMessage: charge.failureMessage ?? 'The card was declined.',
  };
}

function metadataOf(metadata: Record<string, string>): Partial<PaymentMetadata> {
  return {
    tenantId: metadata.tenantId,
    topUpId: metadata.topUpId,
    refundId: metadata.refundId,
    invoicePaymentId: metadata.invoicePaymentId,
  };
}

/**
 * The payment simulator's HTTP API (tools/payment-sim), shaped like Stripe's: a secret key, Idempotency-Key
 * on charges and refunds, 402 for a declined card, 429 when throttled, signed webhooks. A throttled or
 * failing call is tried once more after its Retry-After (at most 2 s), then answered UNAVAILABLE with the
 * processor's code, so the client retries the same request (the same idempotency key: nothing twice).
 */
export class PaymentSimProcessor implements PaymentProcessor {
  readonly name = 'payment-sim';
  /** Idempotency keys are kept 24 hours, as Stripe keeps them. */
  readonly chargeExpiryMs = 24 * 3_600_000;

  constructor(
    private readonly options: { url: string; secretKey: string; webhookSecret: string; timeoutMs: number },
  ) {}

  async describeToken(token: string): Promise<CardDescription | undefined> {
    const answer = await this.request('GET', `/v1/tokens/${encodeURIComponent(token)}`);
    if (answer.status === 404) return undefined;
    return cardSchema.parse((answer.body as { card?: unknown }).card);
  }

  async charge(input: {
    token: string;
    amount: Money;
    idempotencyKey: string;
    metadata: PaymentMetadata;
  }): Promise<ChargeResult> {
    const answer = await this.request(
      'POST',
      '/v1/charges',
      {
        amount: Number(input.amount.minorUnits),
        currency: input.amount.currency.toLowerCase(),
        token: input.token,
        metadata: compact(input.metadata),
      },
      input.idempotencyKey,
    );
    if (answer.status === 201) {
      const charge = chargeSchema.parse(answer.body);
      return { chargeId: charge.id, ...outcomeOf(charge) };
    }
    const error = errorSchema.safeParse(answer.body);
    if (answer.status === 402 && error.success && error.data.error.charge) {
      const charge = error.data.error.charge;
      return { chargeId: charge.id, ...outcomeOf(charge) };
    }
    if (answer.status === 404)
      throw invalidArgument('PAYMENT_METHOD_UNUSABLE', 'the processor no longer knows this payment method', [
        { field: 'paymentMethodId', description: 'add the card again' },
      ]);
    throw new Error(`payment processor answered ${answer.status} to a charge`);
  }

  async findCharge(reference: {
    chargeId?: string;
    metadata: ChargeReference;
  }): Promise<ChargeResult | undefined> {
    let found: unknown;
    if (reference.chargeId) {
      const answer = await this.request('GET', `/v1/charges/${encodeURIComponent(reference.chargeId)}`);
      if (answer.status === 404) return undefined;
      found = answer.body;
    } else {
      const query = `metadata['${reference.metadata.key}']:'${reference.metadata.value}'`;
      const answer = await this.request('GET', `/v1/charges/search?query=${encodeURIComponent(query)}`);
      if (answer.status !== 200) throw new Error(`payment processor answered ${answer.status} to a search`);
      found = z.object({ data: z.array(z.unknown()) }).parse(answer.body).data[0];
      if (found === undefined) return undefined;
    }
    const charge = chargeSchema.parse(found);
    return { chargeId: charge.id, ...outcomeOf(charge) };
  }

  async refund(input: {
    chargeId: string;
    amount: Money;
    idempotencyKey: string;
    metadata: PaymentMetadata;
  }): Promise<{ outcome: 'succeeded'; refundId: string } | { outcome: 'refused'; reason: string }> {
    const answer = await this.request(
      'POST',
      '/v1/refunds',
      { charge: input.chargeId, amount: Number(input.amount.minorUnits), metadata: compact(input.metadata) },
      input.idempotencyKey,
    );
    if (answer.status === 201)
      return { outcome: 'succeeded', refundId: String((answer.body as { id: unknown }).id) };
    const error = errorSchema.safeParse(answer.body);
    if ([404, 409, 422].includes(answer.status) && error.success)
      return { outcome: 'refused', reason: error.data.error.code };
    throw new Error(`payment processor answered ${answer.status} to a refund`);
  }

  async detach(token: string): Promise<void> {
    const answer = await this.request('DELETE', `/v1/tokens/${encodeURIComponent(token)}`);
    if (answer.status === 200 || answer.status === 404) return;
    throw new Error(`payment processor answered ${answer.status} to a detach`);
  }

  verifyWebhook(body: string, headers: Record<string, string | undefined>): ProcessorEvent | undefined {
    const verified = verifyPaymentWebhook({
      secret: this.options.webhookSecret,
      body,
      header: headers[PAYMENT_WEBHOOK_SIGNATURE_HEADER],
    });
    if (!verified) return undefined;
    const event = eventSchema.parse(JSON.parse(body));
    const charge = chargeSchema.safeParse(event.data.object);
    if (!charge.success) return { id: event.id, type: 'other', metadata: {} };
    const { id } = event;
    switch (event.type) {
      case 'charge.succeeded':
      case 'charge.failed':
      case 'charge.requires_action':
        return {
          id,
          type: 'charge',
          chargeId: charge.data.id,
          outcome: outcomeOf(charge.data),
          metadata: metadataOf(charge.data.metadata),
        };
      case 'charge.refunded':
        return charge.data.refund
          ? {
              id,
              type: 'refund',
              refundId: charge.data.refund.id,
              metadata: metadataOf(charge.data.refund.metadata),
            }
          : { id, type: 'other', metadata: metadataOf(charge.data.metadata) };
      default:
        return { id, type: 'other', metadata: metadataOf(charge.data.metadata) };
    }
  }

  private async request(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    body?: unknown,
    idempotencyKey?: string,
  ): Promise<{ status: number; body: unknown }> {
    for (let attempt = 1; ; attempt += 1) {
      let response: Response;
      try {
        response = await fetch(`${this.options.url}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${this.options.secretKey}`,
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
            ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(this.options.timeoutMs),
        });
      } catch {
        if (attempt < 2) continue;
        throw unavailable(UNAVAILABLE, 'the payment processor did not answer; retry later', 5);
      }
      const text = await response.text();
      if (response.status === 429 || response.status >= 500) {
        const retryAfter = Math.max(1, Number(response.headers.get('retry-after')) || 1);
        if (attempt < 2 && retryAfter <= 2) {
          await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000));
          continue;
        }
        throw unavailable(UNAVAILABLE, 'the payment processor is busy or failing; retry later', retryAfter);
      }
      if (response.status === 401) throw new Error('the payment processor refused the secret key');
      return { status: response.status, body: text ? (JSON.parse(text) as unknown) : {} };
    }
  }
}

function compact(metadata: PaymentMetadata): Record<string, string> {
  return Object.fromEntries(Object.entries(metadata).filter(([, value]) => value !== undefined)) as Record<
    string,
    string
  >;
}
