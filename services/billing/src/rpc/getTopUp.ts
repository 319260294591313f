import { notFound, type RpcContext } from '@parley/kit';
import type { billingPaymentsV1 } from '@parley/proto';
import type { PaymentRepository } from '../db/payments';
import { topUpMessage } from './paymentMessages';

export function makeGetTopUp(deps: { payments: PaymentRepository }) {
  return async ({
    request,
    caller,
  }: RpcContext<billingPaymentsV1.GetTopUpRequest>): Promise<billingPaymentsV1.GetTopUpResponse> => {
    const row = await deps.payments.topUp(caller.tenantId, request.id);
    if (!row) throw notFound('TOP_UP_NOT_FOUND', `no top-up ${request.id}`);
    return { topUp: topUpMessage(row) };
  };
}
