import { decodePageToken, pageSize, type RpcContext } from '@parley/kit';
import type { privacyV1 } from '@parley/proto';
import type { RequestRepository } from '../db/requests';

export function makeListRequests(deps: { requests: RequestRepository }) {
  return async ({
    request,
    caller,
  }: RpcContext<privacyV1.ListRequestsRequest>): Promise<privacyV1.ListRequestsResponse> => {
    const page = await deps.requests.list(
      caller.tenantId,
      pageSize(request.pageSize),
      decodePageToken(request.pageToken),
    );
    return {
      requests: page.items.map((row) => ({
        id: row.id,
        type: row.type,
        state: row.state,
        receivedAt: row.receivedAt,
        dueAt: row.dueAt,
      })),
      nextPageToken: page.nextPageToken,
    };
  };
}
