import { randomUUID } from 'node:crypto';
import type { RpcContext } from '@parley/kit';
import type { identityV1 } from '@parley/proto';
import { generateKey, hashSecret, parseNewApiKey, prefixOf } from '../domain/apiKey';
import { tenantNotFound } from '../domain/errors';
import type { ApiKeyRepository, ApiKeyRecord } from '../db/apiKeys';
import type { TenantRepository } from '../db/tenants';

export function toProtoApiKey(record: ApiKeyRecord): identityV1.ApiKey {
  return {
    id: record.id,
    tenantId: record.tenantId,
    name: record.name,
    prefix: prefixOf(record.lookupId),
    scopes: record.scopes,
    createdAt: record.createdAt,
    expiresAt: record.expiresAt ?? undefined,
    lastUsedAt: record.lastUsedAt ?? undefined,
    revokedAt: record.revokedAt ?? undefined,
  };
}

export function makeCreateApiKey(deps: {
  apiKeys: ApiKeyRepository;
  tenants: TenantRepository;
  now?: () => Date;
}) {
  return async ({
    request,
    caller,
    log,
  }: RpcContext<identityV1.CreateApiKeyRequest>): Promise<identityV1.CreateApiKeyResponse> => {
    const wanted = parseNewApiKey(request, deps.now?.() ?? new Date());
    if (!(await deps.tenants.find(caller.tenantId))) throw tenantNotFound(caller.tenantId);
    const key = generateKey();
    const record = await deps.apiKeys.insert({
      id: randomUUID(),
      tenantId: caller.tenantId,
      lookupId: key.lookupId,
      name: wanted.name,
      scopes: wanted.scopes,
      secretHash: await hashSecret(key.secret),
      expiresAt: wanted.expiresAt ?? null,
    });
    log.info({ apiKeyId: record.id, prefix: key.prefix }, 'api key created');
    return { apiKey: toProtoApiKey(record), secret: key.full };
  };
}
