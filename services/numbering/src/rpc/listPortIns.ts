import { decodePageToken, pageSize, type RpcContext } from '@parley/kit';
import type { numberingV1 } from '@parley/proto';
import { type NumberingDeps } from '../deps';
import { portInMessage } from './mappers';

export function makeListPortIns(deps: Pick<NumberingDeps, 'portIns'>) {
  return async ({
    request,
    caller,
  }: RpcContext<numberingV1.ListPortInsRequest>): Promise<numberingV1.ListPortInsResponse> => {
    const page = await deps.portIns.list(
      caller.tenantId,
      pageSize(request.pageSize),
      decodePageToken(request.pageToken),
    );
    return { portIns: page.items.map(portInMessage), nextPageToken: page.nextPageToken };
  };
}
