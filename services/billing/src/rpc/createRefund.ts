import { randomUUID } from 'node:crypto';
import { failedPrecondition, invalidArgument, Money, notFound, type RpcContext } from '@parley/kit';
import type { billingPaymentsV1 } from '@parley/proto';
import type { PaymentRepository } from '../db/payments';
import type { PaymentProcessor } from '../domain/paymentProcessor';
import { requireProcessor } from '../domain/payments';
import { refundMessage } from './paymentMessages';

/**
 * Refunds a succeeded top-up, in full (no amount) or in part: the refund is started (the amount debited
 * from the wallet) before the processor is asked, with the refund's id as its idempotency key; a refusal
 * gives the amount back, a retry of the same request asks again for the same refund.
 */
export function makeCreateRefund(deps: {
  processor: PaymentProcessor | undefined;
  payments: PaymentRepository;
}) {
  return async ({
    request,
    caller,
    requestId,
  }: RpcContext<billingPaymentsV1.CreateRefundRequest>): Promise<billingPaymentsV1.CreateRefundResponse> => {
    const processor = requireProcessor(deps.processor);
    if (request.reason.length > 500)
      throw invalidArgument('REFUND_REASON_TOO_LONG', 'reason is at most 500 characters', [
        { field: 'reason', description: 'at most 500 characters' },
      ]);
    let amountMinor: bigint | undefined;
    if (request.amount) {
      if (!/^\d{1,19}$/.test(request.amount.minorUnits) || BigInt(request.amount.minorUnits) <= 0n)
        throw invalidArgument('AMOUNT_INVALID', 'amount must be a positive whole number of minor units', [
          { field: 'amount.minorUnits', description: 'a positive integer string' },
        ]);
      amountMinor = BigInt(request.amount.minorUnits);
    }
    const started = await deps.payments.startRefund(caller.tenantId, requestId ?? randomUUID(), {
      topUpId: request.topUpId,
      amountMinor,
      currency: request.amount?.currency,
      reason: request.reason,
    });
    switch (started.outcome) {
      case 'not_found':
        throw notFound('TOP_UP_NOT_FOUND', started.detail);
      case 'not_refundable':
        throw failedPrecondition('TOP_UP_NOT_REFUNDABLE', started.detail);
      case 'exceeds_top_up':
        throw failedPrecondition('REFUND_EXCEEDS_TOP_UP', started.detail);
      case 'exceeds_balance':
        throw failedPrecondition('REFUND_EXCEEDS_BALANCE', started.detail);
      case 'currency_mismatch':
        throw invalidArgument('AMOUNT_CURRENCY_MISMATCH', started.detail, [
          { field: 'amount.currency', description: started.detail },
        ]);
    }
    const { refund, chargeId } = started;
    if (refund.status !== 'pending') return { refund: refundMessage(refund) };
    const answer = await processor.refund({
      chargeId,
      amount: Money.of(refund.amountMinor, refund.currency),
      idempotencyKey: refund.id,
      metadata: { tenantId: caller.tenantId, refundId: refund.id },
    });
    if (answer.outcome === 'refused') {
      await deps.payments.refundRefused(caller.tenantId, refund.id);
      throw failedPrecondition(
        'REFUND_REFUSED',
        `the payment processor refused the refund (${answer.reason})`,
      );
    }
    const done = await deps.payments.refundSucceededNow(caller.tenantId, refund.id, answer.refundId);
    return { refund: refundMessage(done ?? refund) };
  };
}
