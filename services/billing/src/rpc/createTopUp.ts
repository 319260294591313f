import { randomUUID } from 'node:crypto';
import { notFound, Money, type RpcContext, type Transaction } from '@parley/kit';
import type { billingPaymentsV1 } from '@parley/proto';
import type { AccountRepository } from '../db/accounts';
import type { PaymentRepository } from '../db/payments';
import type { TopUpRow } from '../db/paymentsSchema';
import type { PaymentProcessor } from '../domain/paymentProcessor';
import { positiveAmount, requireProcessor } from '../domain/payments';
import { topUpMessage } from './paymentMessages';

/**
 * Puts money into the wallet: the top-up is recorded `pending` under the request's id first, then the
 * payment method is charged with the top-up's id as the processor's idempotency key, then the answer is
 * applied (credited once if it succeeded). A process killed in between leaves a pending top-up that the
 * processor's webhook, the client's retry (same Idempotency-Key, so the same top-up and the same charge)
 * or, when neither comes, the settlement job settles; none can credit twice (state machine, unique wallet
 * reference).
 */
export function makeCreateTopUp(deps: {
  processor: PaymentProcessor | undefined;
  payments: PaymentRepository;
  accounts: AccountRepository;
  /** Runs in the transaction that creates the top-up (the settlement job is sent there). */
  onClaimed?: (tx: Transaction, topUp: TopUpRow) => Promise<void>;
}) {
  return async ({
    request,
    caller,
    requestId,
  }: RpcContext<billingPaymentsV1.CreateTopUpRequest>): Promise<billingPaymentsV1.CreateTopUpResponse> => {
    const processor = requireProcessor(deps.processor);
    const account = await deps.accounts.find(caller.tenantId);
    if (!account)
      throw notFound('BILLING_ACCOUNT_NOT_FOUND', `tenant ${caller.tenantId} has no billing account yet`);
    const amount = positiveAmount(request.amount, account.currency, 'amount');
    const method = await deps.payments.methodToCharge(caller.tenantId, request.paymentMethodId);
    const topUp = await deps.payments.claimTopUp(
      caller.tenantId,
      requestId ?? randomUUID(),
      { amount, paymentMethodId: method.id },
      deps.onClaimed,
    );
    if (topUp.status !== 'pending') return { topUp: topUpMessage(topUp) };
    const charge = await processor.charge({
      token: method.processorToken,
      amount: Money.of(topUp.amountMinor, topUp.currency),
      idempotencyKey: topUp.id,
      metadata: { tenantId: caller.tenantId, topUpId: topUp.id },
    });
    return { topUp: topUpMessage(await deps.payments.settleTopUpNow(caller.tenantId, topUp.id, charge)) };
  };
}
