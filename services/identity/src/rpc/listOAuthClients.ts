import type { RpcContext } from '@parley/kit';
import type { identityV1 } from '@parley/proto';
import type { OAuthClientRepository } from '../db/oauthClients';
import type { TenantRepository } from '../db/tenants';
import type { IdentityProvider } from '../idp/provider';
import { toProtoClient } from './mappers';
import { requireTenant } from '../domain/access';

export function makeListOAuthClients(deps: {
  clients: OAuthClientRepository;
  tenants: TenantRepository;
  idp: IdentityProvider;
}) {
  return async ({
    caller,
  }: RpcContext<identityV1.ListOAuthClientsRequest>): Promise<identityV1.ListOAuthClientsResponse> => {
    const tenant = requireTenant(await deps.tenants.find(caller.tenantId), caller.tenantId);
    const tokenUrl = deps.idp.tokenUrl(tenant.realm);
    return { clients: (await deps.clients.list(tenant.id)).map((row) => toProtoClient(row, tokenUrl)) };
  };
}
