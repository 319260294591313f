import type { Money } from '@parley/kit';

/**
 * The payment processor, as billing needs it (a port; `processor/paymentSim.ts` is the adapter for the
 * simulator, a Stripe or Paystack adapter would be another). Card numbers never pass through it: the
 * customer's browser tokenises the card with the processor, Parley only ever holds the token.
 */
export interface PaymentProcessor {
  /** Stored with each payment method, so a method is charged through the processor that made it. */
  readonly name: string;
  /** What the processor knows of a token: brand, last four digits, expiry. Unknown: `undefined`. */
  describeToken(token: string): Promise<CardDescription | undefined>;
  /**
   * Charges a token. The same `idempotencyKey` never charges twice (the processor answers the first
   * outcome again). `metadata` comes back on the webhooks. Throws `unavailable` when the processor cannot
   * be reached or throttles (the charge may or may not exist: retry with the same key).
   */
  charge(input: {
    token: string;
    amount: Money;
    idempotencyKey: string;
    metadata: PaymentMetadata;
  }): Promise<ChargeResult>;
  /**
   * Where the charge made for a record stands at the processor, for a record whose answer never came (a
   * process killed mid-charge, a webhook lost): read by its charge id when known, else found by the
   * record's id in the charge's metadata. `undefined`: the processor has no such charge. Throws
   * `unavailable` as `charge` does.
   */
  findCharge(reference: { chargeId?: string; metadata: ChargeReference }): Promise<ChargeResult | undefined>;
  /**
   * How long the processor keeps a charge request's idempotency key (Stripe: 24 hours): a record with no
   * charge at the processor this long after it was made will never get one, and is failed.
   */
  readonly chargeExpiryMs: number;
  /** Refunds (part of) a charge; `refused` when the processor will not (nothing left, not succeeded). */
  refund(input: {
    chargeId: string;
    amount: Money;
    idempotencyKey: string;
    metadata: PaymentMetadata;
  }): Promise<{ outcome: 'succeeded'; refundId: string } | { outcome: 'refused'; reason: string }>;
  /**
   * Detaches a token: the processor forgets the card, so it can never be charged again (erasure). A
   * token the processor no longer knows is detached already. Throws `unavailable` as `charge` does.
   */
  detach(token: string): Promise<void>;
  /** The event a webhook carries when its signature verifies under the webhook secret, else `undefined`. */
  verifyWebhook(body: string, headers: Record<string, string | undefined>): ProcessorEvent | undefined;
}

export interface CardDescription {
  brand: 'visa' | 'mastercard' | 'amex' | 'discover' | 'unknown';
  last4: string;
  expMonth: number;
  expYear: number;
}

/** What billing tells the processor to echo on webhooks, so an event finds its tenant and record. */
export interface PaymentMetadata {
  tenantId: string;
  topUpId?: string;
  refundId?: string;
  invoicePaymentId?: string;
}

/** The metadata entry that names the record a charge was made for. */
export type ChargeReference = { key: 'topUpId' | 'invoicePaymentId'; value: string };

/** Where a charge stands, as the processor answered or a webhook said. */
export type ChargeOutcome =
  | { status: 'succeeded' }
  | { status: 'failed'; failureCode: string; failureMessage: string }
  | { status: 'requires_action'; actionUrl: string };

export type ChargeResult = ChargeOutcome & { chargeId: string };

export type ProcessorEvent =
  | {
      id: string;
      type: 'charge';
      chargeId: string;
      outcome: ChargeOutcome;
      metadata: Partial<PaymentMetadata>;
    }
  | { id: string; type: 'refund'; refundId: string; metadata: Partial<PaymentMetadata> }
  | { id: string; type: 'other'; metadata: Partial<PaymentMetadata> };
