import { randomUUID } from 'node:crypto';
import { AppError, type RpcContext } from '@parley/kit';
import type { identityV1 } from '@parley/proto';
import { parseNewTenant, sameTenant, toProtoTenant } from '../domain/tenant';
import { tenantConflict } from '../domain/errors';
import { generateKey, type ApiKeyDigester } from '../domain/apiKey';
import type { TenantRepository } from '../db/tenants';
import type { ApiKeyRepository } from '../db/apiKeys';
import type { IdentityProvider } from '../idp/provider';

/**
 * Creates a tenant in three steps that can each be repeated: record it as `provisioning`, provision it in
 * the identity provider (idempotent), then activate it together with its event and first owner key. If the
 * provider fails half-way the tenant stays `provisioning`, unusable, and the same request finishes it.
 */
export function makeCreateTenant(deps: {
  tenants: TenantRepository;
  apiKeys: ApiKeyRepository;
  digester: ApiKeyDigester;
  idp: IdentityProvider;
}) {
  return async ({
    request,
    log,
  }: RpcContext<identityV1.CreateTenantRequest>): Promise<identityV1.CreateTenantResponse> => {
    const wanted = parseNewTenant(request);
    const realm = deps.idp.realmFor(wanted);
    const { tenant: recorded } = await deps.tenants.insertProvisioning(wanted, realm);
    if (!sameTenant(recorded, wanted)) throw tenantConflict(wanted.id);
    if (recorded.status !== 'provisioning')
      return { tenant: toProtoTenant(recorded), created: false, ownerApiKey: '' };

    try {
      await deps.idp.provisionTenant(wanted);
    } catch (error) {
      log.warn({ err: error, tenant: wanted.id }, 'identity provider failed while provisioning a tenant');
      throw new AppError(
        'unavailable',
        'IDENTITY_PROVIDER_UNAVAILABLE',
        `tenant ${wanted.id} could not be provisioned in the identity provider yet; repeat the same request to finish`,
      );
    }

    const key = generateKey();
    const digest = deps.digester.digest(key.full);
    const activated = await deps.tenants.activate(wanted.id, (tx) =>
      deps.apiKeys.insertIn(
        tx,
        {
          id: randomUUID(),
          tenantId: wanted.id,
          lookupId: key.lookupId,
          name: 'owner (created with the tenant)',
          scopes: ['*'],
          secretHash: deps.digester.stored(digest),
          expiresAt: null,
        },
        digest,
      ),
    );
    if (!activated) {
      // Someone else finished it between our look and our flip: answer as a repeat.
      const current = await deps.tenants.find(wanted.id);
      return { tenant: current ? toProtoTenant(current) : undefined, created: false, ownerApiKey: '' };
    }
    log.info({ tenant: wanted.id, realm }, 'tenant created');
    return { tenant: toProtoTenant(activated.tenant), created: true, ownerApiKey: key.full };
  };
}
