import type { RpcContext } from '@parley/kit';
import type { identityV1 } from '@parley/proto';
import { parseKey, verifySecret } from '../domain/apiKey';
import { apiKeyRejected } from '../domain/errors';
import type { ApiKeyRepository } from '../db/apiKeys';
import { toProtoApiKey } from './createApiKey';

export function makeAuthenticateApiKey(deps: { apiKeys: ApiKeyRepository; now?: () => Date }) {
  return async ({
    request,
  }: RpcContext<identityV1.AuthenticateApiKeyRequest>): Promise<identityV1.AuthenticateApiKeyResponse> => {
    const parsed = parseKey(request.secret);
    if (!parsed) throw apiKeyRejected('API_KEY_INVALID');
    const record = await deps.apiKeys.findByLookupId(parsed.lookupId);
    if (!record || !(await verifySecret(parsed.secret, record.secretHash)))
      throw apiKeyRejected('API_KEY_INVALID');
    const now = deps.now?.() ?? new Date();
    if (record.revokedAt) throw apiKeyRejected('API_KEY_REVOKED');
    if (record.expiresAt && record.expiresAt.getTime() <= now.getTime())
      throw apiKeyRejected('API_KEY_EXPIRED');
    await deps.apiKeys.touch(record, now);
    return { apiKey: toProtoApiKey(record) };
  };
}
