import { randomUUID } from 'node:crypto';
import type { RpcContext } from '@parley/kit';
import type { identityV1 } from '@parley/proto';
import { generateKey, parseNewApiKey, type ApiKeyDigester } from '../domain/apiKey';
import { ensureGrantable, requireActive } from '../domain/access';
import type { ApiKeyRepository } from '../db/apiKeys';
import type { TenantRepository } from '../db/tenants';
import { toProtoApiKey } from './mappers';

export function makeCreateApiKey(deps: {
  apiKeys: ApiKeyRepository;
  tenants: TenantRepository;
  digester: ApiKeyDigester;
  now?: () => Date;
}) {
  return async ({
    request,
    caller,
    log,
  }: RpcContext<identityV1.CreateApiKeyRequest>): Promise<identityV1.CreateApiKeyResponse> => {
    const wanted = parseNewApiKey(
      request,
      deps.now?.() ?? new Date(),
      caller.scopes.includes('platform:admin'),
    );
    requireActive(await deps.tenants.find(caller.tenantId), caller.tenantId);
    ensureGrantable(caller, wanted.scopes);
    const key = generateKey();
    const digest = deps.digester.digest(key.full);
    const record = await deps.apiKeys.insert(
      {
        id: randomUUID(),
        tenantId: caller.tenantId,
        lookupId: key.lookupId,
        name: wanted.name,
        scopes: wanted.scopes,
        secretHash: deps.digester.stored(digest),
        expiresAt: wanted.expiresAt ?? null,
      },
      digest,
    );
    log.info({ apiKeyId: record.id, prefix: key.prefix }, 'api key created');
    return { apiKey: toProtoApiKey(record), secret: key.full };
  };
}
