import type { JobContext } from '@parley/kit';
import type { InvoicePaymentRepository } from '../db/invoicePayments';
import type { PaymentRepository } from '../db/payments';
import type { ChargeResult, PaymentProcessor } from '../domain/paymentProcessor';

/**
 * One job per top-up and per invoice payment, sent in the transaction that creates it, to run a while
 * after: what settles a record that neither the client's retry nor the processor's webhook reached.
 */
export const SETTLE_CHARGE_QUEUE = 'billing-settle-charge';
/** Long enough for the charge's own answer (and its webhook) to have settled it in the ordinary case. */
export const SETTLE_CHARGE_AFTER_SECONDS = 120;
/** Asked again with backoff (1 minute up to hourly) until settled or past the processor's expiry (24 h). */
export const SETTLE_CHARGE_RETRIES = {
  retryLimit: 40,
  retryDelaySeconds: 60,
  retryBackoff: true,
  retryDelayMaxSeconds: 3600,
  expireInSeconds: 120,
} as const;

export interface SettleChargeJob {
  kind: 'top-up' | 'invoice-payment';
  id: string;
}

/** News of a record whose charge the processor never made and no longer will: it fails, nothing charged. */
export const NEVER_CHARGED: ChargeResult = {
  chargeId: '',
  status: 'failed',
  failureCode: 'charge_expired',
  failureMessage: 'The payment processor never received the charge and its request has expired.',
};

/** Thrown to have pg-boss ask again later: the charge is not settled at the processor yet. */
class NotSettledYet extends Error {
  constructor(state: string) {
    super(`the charge is ${state} at the processor; asked again later`);
    this.name = 'NotSettledYet';
  }
}

/**
 * Asks the processor where the record's charge stands (by charge id, or by the record's id in the charge's
 * metadata when the answer never came) and applies a final answer through the same state machine as the
 * webhook and the client's retry (credited or paid once, whoever comes first). Nothing known yet: asked
 * again later. No charge at the processor once its idempotency keys have expired: failed, nothing charged
 * (no retry can make that charge any more). A charge waiting for the cardholder is asked about again until
 * it settles: the processor fails a challenge nobody answers when it expires (payment-sim: 24 h), within
 * the job's retries (about a day and a half).
 */
export function makeSettleCharge(deps: {
  processor: PaymentProcessor | undefined;
  payments: PaymentRepository;
  invoicePayments: InvoicePaymentRepository;
  now: () => Date;
}) {
  return async (job: JobContext<SettleChargeJob>): Promise<void> => {
    const tenantId = job.tenantId;
    if (!tenantId) throw new Error('a settlement job carries its tenant');
    const { kind, id } = job.data;
    const record =
      kind === 'top-up'
        ? await deps.payments.topUp(tenantId, id)
        : await deps.invoicePayments.find(tenantId, id);
    if (!record || record.status === 'succeeded' || record.status === 'failed' || !deps.processor) return;
    const charge = await deps.processor.findCharge({
      chargeId: record.chargeId ?? undefined,
      metadata: { key: kind === 'top-up' ? 'topUpId' : 'invoicePaymentId', value: id },
    });
    const expired = deps.now().getTime() - record.createdAt.getTime() >= deps.processor.chargeExpiryMs;
    const news = charge ?? (expired ? NEVER_CHARGED : undefined);
    if (news && news.status !== 'requires_action') {
      const settled =
        kind === 'top-up'
          ? await deps.payments.settleTopUpNow(tenantId, id, news)
          : await deps.invoicePayments.settleNow(tenantId, id, news);
      job.log.info({ kind, status: settled.status }, 'charge settled by the settlement job');
      return;
    }
    throw new NotSettledYet(news ? news.status : 'unknown');
  };
}
