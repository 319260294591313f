import { billingPaymentsV1 } from '@parley/proto';
import type { Backends } from '../../backends';
import { route } from '../route';
import { z } from '../zod';
import { idParams, iso, money, nextPage, pageQuery, timestamp } from '../schemas';

const { TopUpStatus } = billingPaymentsV1;

const idExamples = {
  pm: 'pm_5f0c2a9e8d7b6c5a4f3e2d1c',
  tu: 'tu_0a1b2c3d4e5f60718293a4b5',
  rf: 'rf_9a8b7c6d5e4f30211203a4b5',
  ip: 'ip_1c2d3e4f5a6b7c8d9e0f1a2b',
};

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
    id: z.string().openapi({ example: idExamples.rf }),
    topUpId: z.string(),
    amount: money,
    status: z.enum(['pending', 'succeeded', 'failed']),
    reason: z.string(),
    createdAt: timestamp,
  })
  .openapi('Refund');

const invoicePaymentStatuses = ['pending', 'requires_action', 'succeeded', 'failed'] as const;

const invoicePaymentSchema = z
  .object({
    id: z.string().openapi({ example: idExamples.ip }),
    invoiceId: z.uuid(),
    status: z.enum(invoicePaymentStatuses).openapi({
      description:
        "`succeeded`: charged, and the invoice is paid. `failed`: declined (`failureCode` is the processor's reason) and the invoice stays issued and unpaid: pay it again, with another card if need be. `requires_action`: the cardholder must authenticate at `nextActionUrl` (3-D Secure); the invoice is paid when the processor confirms. `pending`: the charge has not been answered yet; it settles on its own.",
    }),
    amount: money,
    paymentMethodId: z.string(),
    failureCode: z
      .string()
      .openapi({ description: "The processor's decline reason, e.g. `insufficient_funds`" }),
    failureMessage: z.string(),
    nextActionUrl: z.string(),
    trigger: z.enum(['automatic', 'on_demand']).openapi({
      description:
        '`automatic`: charged to the default card after issue (postpaid); `on_demand`: asked for by the tenant',
    }),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .openapi('InvoicePayment');

const invoicePaymentJson = (payment: billingPaymentsV1.InvoicePayment | undefined) => ({
  id: payment?.id ?? '',
  invoiceId: payment?.invoiceId ?? '',
  status: (payment?.status ?? 'pending') as (typeof invoicePaymentStatuses)[number],
  amount: moneyOf(payment?.amount),
  paymentMethodId: payment?.paymentMethodId ?? '',
  failureCode: payment?.failureCode ?? '',
  failureMessage: payment?.failureMessage ?? '',
  nextActionUrl: payment?.nextActionUrl ?? '',
  trigger: (payment?.trigger === 'automatic' ? 'automatic' : 'on_demand') as 'automatic' | 'on_demand',
  createdAt: iso(payment?.createdAt) ?? '',
  updatedAt: iso(payment?.updatedAt) ?? '',
});

/** The filters of the top-up and refund lists: status, creation time range, page. */
const recordQuery = <Status extends readonly [string, ...string[]]>(statuses: Status) =>
  pageQuery.extend({
    status: z.enum(statuses).optional().openapi({ description: 'Only records in this status' }),
    createdAfter: timestamp.optional().openapi({ description: 'Only records created at or after this' }),
    createdBefore: timestamp.optional().openapi({ description: 'Only records created before this' }),
  });

/** What the top-up and refund lists share: their problems, filters' description, tag and scope. */
const listProblems = ['PAGE_TOKEN_INVALID', 'TIME_RANGE_INVALID'] as const;
const listed = {
  description:
    'Filter by `status` and by creation time (`createdAfter` inclusive, `createdBefore` exclusive).',
  tags: ['Billing'],
  scope: 'billing:read' as const,
};

const recordFilter = (query: {
  status?: string;
  createdAfter?: string;
  createdBefore?: string;
  pageSize?: number;
  pageToken?: string;
}): billingPaymentsV1.PageFilter => ({
  status: query.status ?? '',
  createdAfter: query.createdAfter ? new Date(query.createdAfter) : undefined,
  createdBefore: query.createdBefore ? new Date(query.createdBefore) : undefined,
  pageSize: query.pageSize ?? 0,
  pageToken: query.pageToken ?? '',
});

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
    route({
      method: 'get',
      path: '/v1/top-ups',
      operationId: 'listTopUps',
      problems: listProblems,
      summary: "The tenant's top-ups, newest first",
      ...listed,
      query: recordQuery(['pending', 'requires_action', 'succeeded', 'failed'] as const),
      response: {
        status: 200,
        description: 'A page of top-ups',
        schema: z.object({ topUps: z.array(topUpSchema), nextPageToken: nextPage }).openapi('TopUpList'),
      },
      handler: async ({ caller, query }) => {
        const answer = await backends.as(caller, payments, payments.listTopUps, {
          filter: recordFilter(query),
        });
        return { topUps: answer.topUps.map(topUpJson), nextPageToken: answer.nextPageToken };
      },
    }),
    route({
      method: 'get',
      path: '/v1/refunds',
      operationId: 'listRefunds',
      problems: listProblems,
      summary: "The tenant's refunds, newest first",
      ...listed,
      query: recordQuery(['pending', 'succeeded', 'failed'] as const),
      response: {
        status: 200,
        description: 'A page of refunds',
        schema: z.object({ refunds: z.array(refundSchema), nextPageToken: nextPage }).openapi('RefundList'),
      },
      handler: async ({ caller, query }) => {
        const answer = await backends.as(caller, payments, payments.listRefunds, {
          filter: recordFilter(query),
        });
        return { refunds: answer.refunds.map(refundJson), nextPageToken: answer.nextPageToken };
      },
    }),
    route({
      method: 'get',
      path: '/v1/refunds/{id}',
      operationId: 'getRefund',
      problems: ['REFUND_NOT_FOUND'],
      summary: 'One refund, as it stands',
      tags: ['Billing'],
      scope: 'billing:read',
      params: z.object({ id: processorId('rf') }),
      response: { status: 200, description: 'The refund', schema: refundSchema },
      handler: async ({ caller, params }) => {
        const { refund } = await backends.as(caller, payments, payments.getRefund, { id: params.id });
        return refundJson(refund);
      },
    }),
    route({
      method: 'post',
      path: '/v1/invoices/{id}/payments',
      operationId: 'payInvoice',
      problems: [
        'INVOICE_NOT_FOUND',
        'INVOICE_VOID',
        'INVOICE_ALREADY_PAID',
        'INVOICE_PAYMENT_IN_PROGRESS',
        'PAYMENT_METHOD_NOT_FOUND',
        'PAYMENT_METHOD_REQUIRED',
        'PAYMENT_METHOD_UNUSABLE',
        'PAYMENTS_NOT_CONFIGURED',
        'PAYMENT_PROCESSOR_UNAVAILABLE',
      ],
      summary: 'Pay an issued invoice now by charging a payment method',
      description:
        "Charges what is left to pay of the invoice to the default payment method (or `paymentMethodId`); the invoice is paid exactly once, whatever is retried and whatever order the processor's confirmations come in. A postpaid tenant's invoice is also charged to its default card automatically after issue; this pays one on demand (after a decline, say). Send an `Idempotency-Key`: a retry after a timeout or a 503 is the same payment and the same charge. A declined card answers 201 with `status: failed` and the processor's reason (the invoice stays issued); 3-D Secure answers 202 with `status: requires_action` and `nextActionUrl`. A void invoice answers 409 `INVOICE_VOID`, a paid one 409 `INVOICE_ALREADY_PAID`, one whose payment is still pending 409 `INVOICE_PAYMENT_IN_PROGRESS`, an unknown one 404 `INVOICE_NOT_FOUND`: the invoice is checked first, so these answers come whatever the tenant's payment methods, and `PAYMENT_METHOD_REQUIRED` only for an invoice that could be paid.",
      tags: ['Invoices'],
      scope: 'billing:write',
      params: idParams.extend({}).openapi({ description: 'The invoice id' }),
      body: z
        .object({ paymentMethodId: processorId('pm').optional() })
        .strict()
        .openapi('PayInvoiceRequest'),
      response: {
        status: 201,
        description: 'Charged (succeeded) or declined (failed)',
        schema: invoicePaymentSchema,
      },
      alternateStatuses: {
        202: 'Accepted: waiting for the cardholder (requires_action) or the processor (pending)',
      },
      statusFor: (payment) => (payment.status === 'succeeded' || payment.status === 'failed' ? 201 : 202),
      examples: { request: {} },
      handler: async ({ caller, params, body }) => {
        const { payment } = await backends.as(caller, payments, payments.createInvoicePayment, {
          invoiceId: params.id,
          paymentMethodId: body.paymentMethodId ?? '',
        });
        return invoicePaymentJson(payment);
      },
    }),
    route({
      method: 'get',
      path: '/v1/invoices/{id}/payments',
      operationId: 'listInvoicePayments',
      problems: ['INVOICE_NOT_FOUND'],
      summary: 'Every payment attempt of an invoice, oldest first',
      tags: ['Invoices'],
      scope: 'billing:read',
      params: idParams.extend({}).openapi({ description: 'The invoice id' }),
      response: {
        status: 200,
        description: 'The payments',
        schema: z.object({ payments: z.array(invoicePaymentSchema) }).openapi('InvoicePaymentList'),
      },
      handler: async ({ caller, params }) => {
        const answer = await backends.as(caller, payments, payments.listInvoicePayments, {
          invoiceId: params.id,
        });
        return { payments: answer.payments.map(invoicePaymentJson) };
      },
    }),
  ];
}
