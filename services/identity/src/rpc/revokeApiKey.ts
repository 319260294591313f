import { notFound, type RpcContext } from '@parley/kit';
import type { identityV1 } from '@parley/proto';
import type { ApiKeyRepository } from '../db/apiKeys';
import { toProtoApiKey } from './mappers';

export function makeRevokeApiKey(deps: { apiKeys: ApiKeyRepository; now?: () => Date }) {
  return async ({
    request,
    caller,
    log,
  }: RpcContext<identityV1.RevokeApiKeyRequest>): Promise<identityV1.RevokeApiKeyResponse> => {
    const revoked = await deps.apiKeys.revoke(caller.tenantId, request.id, deps.now?.() ?? new Date());
    if (!revoked) throw notFound('API_KEY_NOT_FOUND', `API key ${request.id} does not exist`);
    log.info({ apiKeyId: revoked.id }, 'api key revoked');
    return { apiKey: toProtoApiKey(revoked) };
  };
}
