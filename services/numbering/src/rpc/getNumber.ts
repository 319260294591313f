import type { RpcContext } from '@parley/kit';
import type { numberingV1 } from '@parley/proto';
import type { NumberingDeps } from '../deps';
import { numberNotFound } from '../domain/errors';
import { numberMessage } from './mappers';

export function makeGetNumber(deps: Pick<NumberingDeps, 'withTenant' | 'numbers'>) {
  return async ({
    request,
    caller,
  }: RpcContext<numberingV1.GetNumberRequest>): Promise<numberingV1.GetNumberResponse> => {
    const row = await deps.withTenant(caller.tenantId, (tx) => deps.numbers.find(tx, request.numberId));
    if (!row || row.status === 'released') throw numberNotFound();
    return { number: numberMessage(row) };
  };
}
