import type { RpcContext } from '@parley/kit';
import type { numberingV1 } from '@parley/proto';
import type { NumberingDeps } from '../deps';
import { orderNotFound } from '../domain/errors';
import { orderMessage } from './mappers';

export function makeGetNumberOrder(deps: Pick<NumberingDeps, 'withTenant' | 'orders'>) {
  return async ({
    request,
    caller,
  }: RpcContext<numberingV1.GetNumberOrderRequest>): Promise<numberingV1.GetNumberOrderResponse> => {
    const row = await deps.withTenant(caller.tenantId, (tx) => deps.orders.find(tx, request.orderId));
    if (!row) throw orderNotFound();
    return { order: orderMessage(row) };
  };
}
