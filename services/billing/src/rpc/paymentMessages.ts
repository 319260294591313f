// Payment records as PaymentsService messages (shared by its RPC handlers).
import { billingPaymentsV1 } from '@parley/proto';
import type { PaymentMethodRow } from '../db/payments';
import type { InvoicePaymentRow, RefundRow, TopUpRow } from '../db/paymentsSchema';

const { TopUpStatus } = billingPaymentsV1;

export function paymentMethodMessage(row: PaymentMethodRow): billingPaymentsV1.PaymentMethod {
  return {
    id: row.id,
    brand: row.brand,
    last4: row.last4,
    expMonth: row.expMonth,
    expYear: row.expYear,
    isDefault: row.isDefault,
    createdAt: row.createdAt,
  };
}

const statuses: Record<TopUpRow['status'], billingPaymentsV1.TopUpStatus> = {
  pending: TopUpStatus.TOP_UP_STATUS_PENDING,
  requires_action: TopUpStatus.TOP_UP_STATUS_REQUIRES_ACTION,
  succeeded: TopUpStatus.TOP_UP_STATUS_SUCCEEDED,
  failed: TopUpStatus.TOP_UP_STATUS_FAILED,
};

export function topUpMessage(row: TopUpRow): billingPaymentsV1.TopUp {
  return {
    id: row.id,
    status: statuses[row.status],
    amount: { currency: row.currency, minorUnits: row.amountMinor.toString() },
    paymentMethodId: row.paymentMethodId ?? '',
    failureCode: row.failureCode ?? '',
    failureMessage: row.failureMessage ?? '',
    nextActionUrl: row.nextActionUrl ?? '',
    refunded: { currency: row.currency, minorUnits: row.refundedMinor.toString() },
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

export function refundMessage(row: RefundRow): billingPaymentsV1.Refund {
  return {
    id: row.id,
    topUpId: row.topUpId,
    amount: { currency: row.currency, minorUnits: row.amountMinor.toString() },
    status: row.status,
    reason: row.reason,
    createdAt: row.createdAt,
  };
}

export function invoicePaymentMessage(row: InvoicePaymentRow): billingPaymentsV1.InvoicePayment {
  return {
    id: row.id,
    invoiceId: row.invoiceId,
    status: row.status,
    amount: { currency: row.currency, minorUnits: row.amountMinor.toString() },
    paymentMethodId: row.paymentMethodId ?? '',
    failureCode: row.failureCode ?? '',
    failureMessage: row.failureMessage ?? '',
    nextActionUrl: row.nextActionUrl ?? '',
    trigger: row.trigger,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}
