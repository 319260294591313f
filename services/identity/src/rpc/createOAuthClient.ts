import type { RpcContext } from '@parley/kit';
import type { identityV1 } from '@parley/proto';
import { parseNewApiKey } from '../domain/apiKey';
import { ensureGrantable, requireActive } from '../domain/access';
import type { OAuthClientRepository } from '../db/oauthClients';
import type { TenantRepository } from '../db/tenants';
import type { IdentityProvider } from '../idp/provider';
import { toProtoClient } from './mappers';

/** A confidential client in the tenant's realm whose client-credentials tokens carry the tenant and scopes. */
export function makeCreateOAuthClient(deps: {
  clients: OAuthClientRepository;
  tenants: TenantRepository;
  idp: IdentityProvider;
  now?: () => Date;
}) {
  return async ({
    request,
    caller,
    log,
  }: RpcContext<identityV1.CreateOAuthClientRequest>): Promise<identityV1.CreateOAuthClientResponse> => {
    const tenant = requireActive(await deps.tenants.find(caller.tenantId), caller.tenantId);
    // Same rules as an API key: a name, known scopes, none beyond the caller's.
    const wanted = parseNewApiKey({ name: request.name, scopes: request.scopes }, deps.now?.() ?? new Date());
    ensureGrantable(caller, wanted.scopes);
    const created = await deps.idp.createClient(tenant.realm, tenant.id, wanted);
    const row = await deps.clients.insert(tenant.id, {
      name: wanted.name,
      clientId: created.clientId,
      idpClientId: created.providerId,
      scopes: wanted.scopes,
    });
    log.info({ clientId: created.clientId }, 'oauth client created');
    return { client: toProtoClient(row, deps.idp.tokenUrl(tenant.realm)), clientSecret: created.secret };
  };
}
