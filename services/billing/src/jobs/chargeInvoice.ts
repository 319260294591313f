import { AppError, isPermanentError, type JobContext } from '@parley/kit';
import { automaticPaymentKey } from '../db/invoicePayments';
import { payInvoice, type PayInvoiceDeps } from '../rpc/createInvoicePayment';

/** One job per invoice a postpaid tenant is issued, sent in the issuing transaction (job id = invoice id). */
export const CHARGE_INVOICE_QUEUE = 'billing-charge-invoice';

/** Processor errors and throttling are retried with backoff for about a day (then the tenant pays on demand). */
export const CHARGE_INVOICE_RETRIES = {
  retryLimit: 30,
  retryDelaySeconds: 30,
  retryBackoff: true,
  retryDelayMaxSeconds: 3600,
  expireInSeconds: 300,
} as const;

/**
 * Charges an issued invoice to the tenant's default payment method. A decline is recorded on the payment
 * with the processor's reason and the job ends (the invoice stays issued and unpaid; the tenant can pay it
 * with another card); 3-D Secure leaves the payment waiting for the webhook. What retrying cannot change
 * (no payment method, the invoice void or paid meanwhile) ends the job too; anything else (the processor
 * unavailable or throttling) fails the attempt and pg-boss retries it with backoff, charging with the same
 * payment and idempotency key, so the card is charged once however often the job runs.
 */
export function makeChargeInvoice(deps: PayInvoiceDeps) {
  return async (job: JobContext<{ invoiceId: string }>): Promise<void> => {
    const tenantId = job.tenantId;
    if (!tenantId) throw new Error('an invoice charge job carries its tenant');
    try {
      const payment = await payInvoice(deps, {
        tenantId,
        invoiceId: job.data.invoiceId,
        requestKey: automaticPaymentKey(job.data.invoiceId),
        trigger: 'automatic',
      });
      job.log.info({ invoicePaymentId: payment.id, status: payment.status }, 'invoice charged');
    } catch (error) {
      if (!isPermanentError(error) && !(error instanceof AppError && error.kind === 'not_found')) throw error;
      job.log.info({ reason: error.reason }, 'invoice not charged automatically');
    }
  };
}
