import { type RpcContext } from '@parley/kit';
import type { numberingV1 } from '@parley/proto';
import { type NumberingDeps } from '../deps';
import { portInNotFound } from '../domain/errors';
import { portInMessage } from './mappers';

export function makeGetPortIn(deps: Pick<NumberingDeps, 'withTenant' | 'portIns'>) {
  return async ({
    request,
    caller,
  }: RpcContext<numberingV1.GetPortInRequest>): Promise<numberingV1.GetPortInResponse> => {
    const row = await deps.withTenant(caller.tenantId, (tx) => deps.portIns.find(tx, request.portInId));
    if (!row) throw portInNotFound();
    return { portIn: portInMessage(row) };
  };
}
