import { decodePageToken, encodePageToken, grants, pageSize, type RpcContext } from '@parley/kit';
import type { privacyV1 } from '@parley/proto';
import type { RequestWorkflow } from '../workflow';
import { toProtoRequest } from './requestMessage';

/** ListRequests: the tenant's requests newest first (privacy:read), or only the caller's own. */
export function makeListRequests(deps: { workflow: RequestWorkflow }) {
  const { workflow } = deps;
  return async ({ request, caller }: RpcContext<privacyV1.ListRequestsRequest>) => {
    const size = pageSize(request.pageSize);
    const views = await workflow.list(caller.tenantId, {
      size,
      ownedBy: grants(caller.scopes, 'privacy:read') ? undefined : caller,
      state: request.state || undefined,
      type: request.type || undefined,
      overdue: request.overdue,
      before: decodePageToken(request.pageToken),
    });
    const page = views.slice(0, size);
    const last = page[page.length - 1];
    return {
      requests: page.map(toProtoRequest),
      nextPageToken:
        views.length > size && last ? encodePageToken({ at: last.row.receivedAt, id: last.row.id }) : '',
    };
  };
}
