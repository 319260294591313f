import { isTenantId, type CallbackAnswer, type Logger } from '@parley/kit';
import type { InvoicePaymentRepository } from '../db/invoicePayments';
import type { PaymentRepository } from '../db/payments';
import type { PaymentProcessor, ProcessorEvent } from '../domain/paymentProcessor';

/** The path the processor posts its webhooks to (on PAYMENT_WEBHOOK_PORT). */
export const PAYMENT_WEBHOOK_PATH = '/processor/webhooks';

/**
 * The processor's webhooks: a signature that does not verify is refused (401) before the body is read as
 * anything. Each event is applied once (its id recorded in the same transaction as its effect; a copy is
 * acknowledged and does nothing) and through the top-up's state machine (an event older than what is known,
 * arriving out of order, changes nothing), so a top-up is credited, and an invoice paid, once whatever
 * comes twice or late. An
 * event for no known tenant or record is acknowledged (the processor would otherwise resend it forever).
 * Nothing from the body is logged.
 */
export function makeOnProcessorWebhook(deps: {
  processor: PaymentProcessor;
  payments: PaymentRepository;
  invoicePayments: InvoicePaymentRepository;
  log: Logger;
}) {
  return async (body: string, headers: Record<string, string | undefined>): Promise<CallbackAnswer> => {
    let event: ProcessorEvent | undefined;
    try {
      event = deps.processor.verifyWebhook(body, headers);
    } catch {
      return { status: 400, body: { error: { code: 'invalid_event', message: 'the body is not an event' } } };
    }
    if (!event) {
      deps.log.warn('payment webhook with a missing, wrong or stale signature: refused');
      return {
        status: 401,
        body: { error: { code: 'bad_signature', message: 'the signature does not verify' } },
      };
    }
    const { tenantId } = event.metadata;
    if (event.type === 'other' || !tenantId || !isTenantId(tenantId))
      return { status: 200, body: { outcome: 'ignored' } };
    const applied = event;
    const outcome = await deps.payments.onceForEvent(
      tenantId,
      { id: event.id, type: event.type },
      async (tx) => {
        if (applied.type === 'charge' && applied.metadata.topUpId)
          await deps.payments.settleTopUp(tx, tenantId, applied.metadata.topUpId, {
            chargeId: applied.chargeId,
            ...applied.outcome,
          });
        if (applied.type === 'charge' && applied.metadata.invoicePaymentId)
          await deps.invoicePayments.settle(tx, tenantId, applied.metadata.invoicePaymentId, {
            chargeId: applied.chargeId,
            ...applied.outcome,
          });
        if (applied.type === 'refund' && applied.metadata.refundId)
          await deps.payments.refundSucceeded(tx, tenantId, applied.metadata.refundId, applied.refundId);
      },
    );
    return { status: 200, body: { outcome } };
  };
}
