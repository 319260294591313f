import type { RpcContext } from '@parley/kit';
import type { identityV1 } from '@parley/proto';
import { isLegacyHash, parseKey, verifySecret, type ApiKeyDigester } from '../domain/apiKey';
import { apiKeyRejected } from '../domain/errors';
import type { ApiKeyRepository } from '../db/apiKeys';
import { toProtoApiKey } from './mappers';
import { unauthenticated } from '@parley/kit';

/**
 * The gateway asks who presents a key. The key is found by its keyed hash (see ApiKeyDigester for why an
 * unknown key and a wrong secret behind a known prefix take the same time); a key issued before keyed
 * hashes is checked once with its old scrypt hash and then upgraded, so every later use is fast.
 */
export function makeAuthenticateApiKey(deps: {
  apiKeys: ApiKeyRepository;
  digester: ApiKeyDigester;
  now?: () => Date;
}) {
  return async ({
    request,
  }: RpcContext<identityV1.AuthenticateApiKeyRequest>): Promise<identityV1.AuthenticateApiKeyResponse> => {
    const parsed = parseKey(request.secret);
    if (!parsed) throw apiKeyRejected('API_KEY_INVALID');
    const digest = deps.digester.digest(request.secret);
    const record = await deps.apiKeys.findForAuthentication(digest, parsed.lookupId);
    if (!record) throw apiKeyRejected('API_KEY_INVALID');
    if (isLegacyHash(record.secretHash)) {
      // Only keys issued before keyed hashes, each until its first success replaces the hash. Until then a
      // wrong secret behind such a key's prefix still costs an scrypt run, as before: the one timing
      // difference left, and it ends for each old key at its first use (or when it is revoked and rotated).
      if (!(await verifySecret(parsed.secret, record.secretHash))) throw apiKeyRejected('API_KEY_INVALID');
      await deps.apiKeys.upgradeDigest(record, digest, deps.digester.stored(digest));
    } else if (!deps.digester.matches(digest, record.secretHash)) {
      throw apiKeyRejected('API_KEY_INVALID');
    }
    const now = deps.now?.() ?? new Date();
    if (record.revokedAt) throw apiKeyRejected('API_KEY_REVOKED');
    if (record.expiresAt && record.expiresAt.getTime() <= now.getTime())
      throw apiKeyRejected('API_KEY_EXPIRED');
    if (record.tenantStatus !== 'active')
      throw unauthenticated('TENANT_INACTIVE', `tenant ${record.tenantId} is not active`);
    await deps.apiKeys.touch(record, now);
    return { apiKey: toProtoApiKey(record) };
  };
}
