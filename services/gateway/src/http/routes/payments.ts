import { billingPaymentsV1 } from '@parley/proto';
import type { Backends } from '../../backends';
import { route } from '../route';
import { z } from '../zod';
import { iso, money, timestamp } from '../schemas';

const { TopUpStatus } = billingPaymentsV1;

const idExamples = { pm: 'pm_5f0c2a9e8d7b6c5a4f3e2d1c', tu: 'tu_0a1b2c3d4e5f60718293a4b5' };

const paymentMethodSchema = z
  .object({
    id: z.string().openapi({ example: idExamples.pm }),
    brand: z.enum(['visa', 'mastercard', 'amex', 'discover', 'unknown']),
    last4: z.string().openapi({ example: '4242' }),
    expMonth: z.number().int().openapi({ example: 12 }),
    expYear: z.number().int().openapi({ example: 2030 }),
    isDefault: z.boolean().openapi({ description: 'Top-ups charge it' }),
    createdAt: timestamp,
  })
  .openapi('PaymentMethod');

const topUpStatuses = {
  [TopUpStatus.TOP_UP_STATUS_PENDING]: 'pending',
  [TopUpStatus.TOP_UP_STATUS_REQUIRES_ACTION]: 'requires_action',
  [TopUpStatus.TOP_UP_STATUS_SUCCEEDED]: 'succeeded',
  [TopUpStatus.TOP_UP_STATUS_FAILED]: 'failed',
} as const;

const topUpSchema = z
  .object({
    id: z.string().openapi({ example: idExamples.tu }),
    status: z.enum(['pending', 'requires_action', 'succeeded', 'failed']).openapi({
      description:
        '`succeeded`: charged and credited to the balance. `failed`: declined (`failureCode` says why), nothing credited. `requires_action`: the cardholder must authenticate at `nextActionUrl` (3-D Secure); the top-up settles later, read it again. `pending`: the charge has not been answered yet; retry the request with the same `Idempotency-Key` or read it again.',
    }),
    amount: money,
    paymentMethodId: z.string(),
    failureCode: z
      .string()
      .openapi({ description: "The processor's decline reason, e.g. `insufficient_funds`" }),
    failureMessage: z.string(),
    nextActionUrl: z
      .string()
      .openapi({ description: 'Where the cardholder authenticates (requires_action)' }),
    refunded: money,
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .openapi('TopUp');

const refundSchema = z
  .object({
    id: z.string().openapi({ example: 'rf_9a8b7c6d5e4f30211203a4b5' }),
    topUpId: z.string(),
    amount: money,
    status: z.enum(['pending', 'succeeded', 'failed']),
    reason: z.string(),
    createdAt: timestamp,
  })
  .openapi('Refund');

/** An amount a client sends: a currency code and a positive whole number of minor units. */
const amountInput = z
  .object({
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as USD')
      .openapi({ example: 'USD' }),
    minorUnits: z
      .string()
      // At most 15 digits: far beyond any top-up, and within PostgreSQL's bigint and a JSON number.
      .regex(/^[1-9][0-9]{0,14}$/, 'a positive whole number of minor units (at most 15 digits), as a string')
      .openapi({ example: '2500' }),
  })
  .strict()
  .openapi('AmountInput');

const processorId = (prefix: keyof typeof idExamples) =>
  z
    .string()
    .regex(new RegExp(`^${prefix}_[0-9a-f]{24}$`), `an id of the form ${prefix}_ and 24 hex digits`)
    .openapi({ example: idExamples[prefix] });

const paymentMethodJson = (method: billingPaymentsV1.PaymentMethod | undefined) => ({
  id: method?.id ?? '',
  brand: (method?.brand ?? 'unknown') as z.infer<typeof paymentMethodSchema>['brand'],
  last4: method?.last4 ?? '',
  expMonth: method?.expMonth ?? 0,
  expYear: method?.expYear ?? 0,
  isDefault: method?.isDefault ?? false,
  createdAt: iso(method?.createdAt) ?? '',
});

const moneyOf = (value: { currency: string; minorUnits: string } | undefined) =>
  value ?? { currency: 'USD', minorUnits: '0' };

const topUpJson = (topUp: billingPaymentsV1.TopUp | undefined) => ({
  id: topUp?.id ?? '',
  status: topUpStatuses[topUp?.status as keyof typeof topUpStatuses] ?? 'pending',
  amount: moneyOf(topUp?.amount),
  paymentMethodId: topUp?.paymentMethodId ?? '',
  failureCode: topUp?.failureCode ?? '',
  failureMessage: topUp?.failureMessage ?? '',
  nextActionUrl: topUp?.nextActionUrl ?? '',
  refunded: moneyOf(topUp?.refunded),
  createdAt: iso(topUp?.createdAt) ?? '',
  updatedAt: iso(topUp?.updatedAt) ?? '',
});

const refundJson = (refund: billingPaymentsV1.Refund | undefined) => ({
  id: refund?.id ?? '',
  topUpId: refund?.topUpId ?? '',
  amount: moneyOf(refund?.amount),
  status: (refund?.status ?? 'pending') as z.infer<typeof refundSchema>['status'],
  reason: refund?.reason ?? '',
  createdAt: iso(refund?.createdAt) ?? '',
});

const neverCardNumbers =
  "Parley never takes a card number: the card is tokenised in the customer's browser with the payment processor's client library (publishable key), and only the token is sent here. A request carrying anything shaped like a card number, in any field, is refused with 400 `CARD_NUMBER_REFUSED` before it is logged or stored.";

export function paymentRoutes(backends: Backends) {
  const { payments } = backends;
  return [
    route({
      method: 'post',
      path: '/v1/payment-methods',
      operationId: 'createPaymentMethod',
      problems: [
        'PAYMENT_TOKEN_INVALID',
        'PAYMENT_TOKEN_UNKNOWN',
        'PAYMENT_METHOD_EXPIRED',
        'PAYMENTS_NOT_CONFIGURED',
        'PAYMENT_PROCESSOR_UNAVAILABLE',
      ],
      summary: 'Add a card the customer tokenised with the payment processor',
      description: `${neverCardNumbers} Parley keeps the token with the brand, last four digits and expiry the processor reports. The first card is the default.`,
      tags: ['Billing'],
      scope: 'billing:write',
      body: z
        .object({
          token: z.string().min(1).max(200).openapi({ example: 'tok_3f2a1b0c9d8e7f6a5b4c3d2e' }),
          makeDefault: z.boolean().optional().openapi({ description: 'Charge it for top-ups from now on' }),
        })
        .strict()
        .openapi('CreatePaymentMethodRequest'),
      response: {
        status: 201,
        description: 'Stored (or already stored: the same token answers the same method)',
        schema: paymentMethodSchema,
      },
      handler: async ({ caller, body }) => {
        const { paymentMethod } = await backends.as(caller, payments, payments.createPaymentMethod, {
          token: body.token,
          makeDefault: body.makeDefault ?? false,
        });
        return paymentMethodJson(paymentMethod);
      },
    }),
    route({
      method: 'get',
      path: '/v1/payment-methods',
      operationId: 'listPaymentMethods',
      summary: "The tenant's payment methods, default first (brand, last four, expiry: never a card number)",
      tags: ['Billing'],
      scope: 'billing:read',
      response: {
        status: 200,
        description: 'The payment methods',
        schema: z.object({ paymentMethods: z.array(paymentMethodSchema) }).openapi('PaymentMethodList'),
      },
      handler: async ({ caller }) => {
        const { paymentMethods } = await backends.as(caller, payments, payments.listPaymentMethods, {});
        return { paymentMethods: paymentMethods.map(paymentMethodJson) };
      },
    }),
    route({
      method: 'post',
      path: '/v1/top-ups',
      operationId: 'createTopUp',
      problems: [
        'BILLING_ACCOUNT_NOT_FOUND',
        'AMOUNT_INVALID',
        'AMOUNT_CURRENCY_MISMATCH',
        'PAYMENT_METHOD_NOT_FOUND',
        'PAYMENT_METHOD_REQUIRED',
        'PAYMENT_METHOD_UNUSABLE',
        'PAYMENTS_NOT_CONFIGURED',
        'PAYMENT_PROCESSOR_UNAVAILABLE',
      ],
      summary: 'Put money into the prepaid balance by charging a payment method',
      description:
        'Charges the default payment method (or `paymentMethodId`) and credits the balance once the charge succeeds, exactly once whatever is retried. Send an `Idempotency-Key`: a retry after a timeout or a 503 is then the same top-up and the same charge. A card that needs 3-D Secure answers 202 with `status: requires_action` and `nextActionUrl`; the top-up settles when the processor confirms, read it with `GET /v1/top-ups/{id}`. A declined card answers 201 with `status: failed` and the reason.',
      tags: ['Billing'],
      scope: 'billing:write',
      body: z
        .object({
          amount: amountInput,
          paymentMethodId: processorId('pm').optional(),
        })
        .strict()
        .openapi('CreateTopUpRequest'),
      response: { status: 201, description: 'Charged (succeeded) or declined (failed)', schema: topUpSchema },
      alternateStatuses: {
        202: 'Accepted: waiting for the cardholder (requires_action) or the processor (pending)',
      },
      statusFor: (topUp) => (topUp.status === 'succeeded' || topUp.status === 'failed' ? 201 : 202),
      handler: async ({ caller, body }) => {
        const { topUp } = await backends.as(caller, payments, payments.createTopUp, {
          amount: body.amount,
          paymentMethodId: body.paymentMethodId ?? '',
        });
        return topUpJson(topUp);
      },
    }),
    route({
      method: 'get',
      path: '/v1/top-ups/{id}',
      operationId: 'getTopUp',
      problems: ['TOP_UP_NOT_FOUND'],
      summary: 'One top-up, as it stands',
      tags: ['Billing'],
      scope: 'billing:read',
      params: z.object({ id: processorId('tu') }),
      response: { status: 200, description: 'The top-up', schema: topUpSchema },
      handler: async ({ caller, params }) => {
        const { topUp } = await backends.as(caller, payments, payments.getTopUp, { id: params.id });
        return topUpJson(topUp);
      },
    }),
    route({
      method: 'post',
      path: '/v1/refunds',
      operationId: 'createRefund',
      problems: [
        'TOP_UP_NOT_FOUND',
        'TOP_UP_NOT_REFUNDABLE',
        'REFUND_EXCEEDS_TOP_UP',
        'REFUND_EXCEEDS_BALANCE',
        'REFUND_REFUSED',
        'AMOUNT_CURRENCY_MISMATCH',
        'PAYMENTS_NOT_CONFIGURED',
        'PAYMENT_PROCESSOR_UNAVAILABLE',
      ],
      summary: 'Refund a top-up in full or in part, taking the amount off the balance',
      description:
        'Without `amount`, what is left of the top-up is refunded. The balance must still hold the amount. Send an `Idempotency-Key` so a retry never refunds twice.',
      tags: ['Billing'],
      scope: 'billing:write',
      body: z
        .object({
          topUpId: processorId('tu'),
          amount: amountInput.optional(),
          reason: z.string().max(500).optional(),
        })
        .strict()
        .openapi('CreateRefundRequest'),
      response: { status: 201, description: 'Refunded', schema: refundSchema },
      handler: async ({ caller, body }) => {
        const { refund } = await backends.as(caller, payments, payments.createRefund, {
          topUpId: body.topUpId,
          amount: body.amount,
          reason: body.reason ?? '',
        });
        return refundJson(refund);
      },
    }),
  ];
}
