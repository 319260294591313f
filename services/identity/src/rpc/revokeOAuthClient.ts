import { notFound, type RpcContext } from '@parley/kit';
import type { identityV1 } from '@parley/proto';
import type { OAuthClientRepository } from '../db/oauthClients';
import type { TenantRepository } from '../db/tenants';
import type { IdentityProvider } from '../idp/provider';
import { toProtoClient } from './mappers';
import { requireTenant } from '../domain/access';

/** Deletes the client in the identity provider (no new tokens), then marks it revoked here. */
export function makeRevokeOAuthClient(deps: {
  clients: OAuthClientRepository;
  tenants: TenantRepository;
  idp: IdentityProvider;
  now?: () => Date;
}) {
  return async ({
    request,
    caller,
    log,
  }: RpcContext<identityV1.RevokeOAuthClientRequest>): Promise<identityV1.RevokeOAuthClientResponse> => {
    const tenant = requireTenant(await deps.tenants.find(caller.tenantId), caller.tenantId);
    const client = await deps.clients.find(tenant.id, request.id);
    if (!client) throw notFound('OAUTH_CLIENT_NOT_FOUND', `OAuth client ${request.id} does not exist`);
    const tokenUrl = deps.idp.tokenUrl(tenant.realm);
    if (client.revokedAt) return { client: toProtoClient(client, tokenUrl) };
    await deps.idp.deleteClient(tenant.realm, client.idpClientId);
    const revoked =
      (await deps.clients.markRevoked(tenant.id, client.id, deps.now?.() ?? new Date())) ?? client;
    log.info({ clientId: client.clientId }, 'oauth client revoked');
    return { client: toProtoClient(revoked, tokenUrl) };
  };
}
