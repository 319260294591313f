import { decodePageToken, pageSize, type RpcContext } from '@parley/kit';
import type { identityV1 } from '@parley/proto';
import { toProtoTenant } from '../domain/tenant';
import type { TenantRepository } from '../db/tenants';

export function makeListTenants(deps: { tenants: TenantRepository }) {
  return async ({
    request,
  }: RpcContext<identityV1.ListTenantsRequest>): Promise<identityV1.ListTenantsResponse> => {
    const page = await deps.tenants.list(pageSize(request.pageSize), decodePageToken(request.pageToken));
    return { tenants: page.items.map(toProtoTenant), nextPageToken: page.nextPageToken };
  };
}
