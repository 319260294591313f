import type { RpcContext } from '@parley/kit';
import type { numberingV1 } from '@parley/proto';
import type { NumberingDeps } from '../deps';
import { invalidRequest } from '../domain/errors';
import { numberMessage } from './mappers';

/** An account's active numbers (at most 1,000), for other services of the caller's tenant. */
export function makeListAccountNumbers(deps: Pick<NumberingDeps, 'numbers'>) {
  return async ({
    request,
    caller,
  }: RpcContext<numberingV1.ListAccountNumbersRequest>): Promise<numberingV1.ListAccountNumbersResponse> => {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(request.accountId)) {
      throw invalidRequest([{ field: 'accountId', description: 'an account id' }]);
    }
    const rows = await deps.numbers.activeOfAccount(caller.tenantId, request.accountId);
    return { numbers: rows.map(numberMessage) };
  };
}
