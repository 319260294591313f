import { randomUUID } from 'node:crypto';
import {
  failedPrecondition,
  invalidArgument,
  Money,
  notFound,
  type RpcContext,
  type Transaction,
} from '@parley/kit';
import type { billingPaymentsV1 } from '@parley/proto';
import type { InvoicePaymentRepository } from '../db/invoicePayments';
import type { PaymentMethodRow, PaymentRepository } from '../db/payments';
import type { InvoicePaymentRow } from '../db/paymentsSchema';
import type { PaymentProcessor } from '../domain/paymentProcessor';
import { requireProcessor } from '../domain/payments';
import { invoicePaymentMessage } from './paymentMessages';

export interface PayInvoiceDeps {
  processor: PaymentProcessor | undefined;
  payments: PaymentRepository;
  invoicePayments: InvoicePaymentRepository;
  /** Runs in the transaction that starts a payment (the settlement job is sent there). */
  onClaimed: (tx: Transaction, payment: InvoicePaymentRow) => Promise<void>;
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Pays an issued invoice by charging a payment method: the payment is recorded `pending` for what is left
 * to pay (under the invoice's lock, at most one live payment per invoice), the method is charged with the
 * payment's id as the processor's idempotency key, and the answer is applied (the invoice paid once if it
 * succeeded). A process killed in between leaves a pending payment that the webhook, a retry of the same
 * request (the same payment, the same charge) or the settlement job settles; none can pay it twice.
 * `in_progress` is answered as the live payment when `trigger` is automatic (nothing to do), and refused
 * on demand.
 */
export async function payInvoice(
  deps: PayInvoiceDeps,
  input: {
    tenantId: string;
    invoiceId: string;
    requestKey: string;
    trigger: InvoicePaymentRow['trigger'];
    paymentMethodId?: string;
  },
): Promise<InvoicePaymentRow> {
  const processor = requireProcessor(deps.processor);
  if (!uuidPattern.test(input.invoiceId))
    throw invalidArgument('INVOICE_ID_INVALID', 'invoiceId must be an invoice id (a UUID)', [
      { field: 'invoiceId', description: 'a UUID' },
    ]);
  // The invoice first: an unknown, void or paid one is refused as such, with or without a payment method.
  const claimed = await deps.invoicePayments.claim(
    input.tenantId,
    input,
    (tx) => deps.payments.methodToCharge(input.tenantId, input.paymentMethodId, tx),
    deps.onClaimed,
  );
  switch (claimed.outcome) {
    case 'not_found':
      throw notFound('INVOICE_NOT_FOUND', claimed.detail);
    case 'void':
      throw failedPrecondition('INVOICE_VOID', claimed.detail);
    case 'paid':
      throw failedPrecondition('INVOICE_ALREADY_PAID', claimed.detail);
    case 'in_progress':
      if (input.trigger === 'automatic') return claimed.payment;
      throw failedPrecondition('INVOICE_PAYMENT_IN_PROGRESS', claimed.detail);
  }
  const { payment } = claimed;
  if (payment.status !== 'pending') return payment;
  // A retry charges the card the payment started with (the same idempotency key needs the same request).
  const method: PaymentMethodRow | undefined =
    claimed.outcome === 'claimed'
      ? claimed.method
      : payment.paymentMethodId
        ? await deps.payments.paymentMethod(input.tenantId, payment.paymentMethodId)
        : undefined;
  if (!method) return payment;
  const charge = await processor.charge({
    token: method.processorToken,
    amount: Money.of(payment.amountMinor, payment.currency),
    idempotencyKey: payment.id,
    metadata: { tenantId: input.tenantId, invoicePaymentId: payment.id },
  });
  return deps.invoicePayments.settleNow(input.tenantId, payment.id, charge);
}

/** CreateInvoicePayment: the tenant pays one of its issued invoices now (POST /v1/invoices/{id}/payments). */
export function makeCreateInvoicePayment(deps: PayInvoiceDeps) {
  return async ({
    request,
    caller,
    requestId,
  }: RpcContext<billingPaymentsV1.CreateInvoicePaymentRequest>): Promise<billingPaymentsV1.CreateInvoicePaymentResponse> => {
    const payment = await payInvoice(deps, {
      tenantId: caller.tenantId,
      invoiceId: request.invoiceId,
      requestKey: requestId ?? randomUUID(),
      trigger: 'on_demand',
      paymentMethodId: request.paymentMethodId,
    });
    return { payment: invoicePaymentMessage(payment) };
  };
}

/** ListInvoicePayments: every payment attempt of one invoice of the tenant. */
export function makeListInvoicePayments(deps: { invoicePayments: InvoicePaymentRepository }) {
  return async ({
    request,
    caller,
  }: RpcContext<billingPaymentsV1.ListInvoicePaymentsRequest>): Promise<billingPaymentsV1.ListInvoicePaymentsResponse> => {
    const rows = uuidPattern.test(request.invoiceId)
      ? await deps.invoicePayments.ofInvoice(caller.tenantId, request.invoiceId)
      : undefined;
    if (!rows) throw notFound('INVOICE_NOT_FOUND', `no invoice has id ${request.invoiceId}`);
    return { payments: rows.map(invoicePaymentMessage) };
  };
}
