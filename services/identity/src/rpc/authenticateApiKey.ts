import type { RpcContext } from '@parley/kit';
import type { identityV1 } from '@parley/proto';
import { parseKey, verifySecret } from '../domain/apiKey';
import { apiKeyRejected } from '../domain/errors';
import type { ApiKeyRepository } from '../db/apiKeys';
import type { TenantRepository } from '../db/tenants';
import { toProtoApiKey } from './mappers';
import { unauthenticated } from '@parley/kit';

export function makeAuthenticateApiKey(deps: {
  apiKeys: ApiKeyRepository;
  tenants: TenantRepository;
  now?: () => Date;
}) {
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
    const tenant = await deps.tenants.find(record.tenantId);
    if (tenant?.status !== 'active')
      throw unauthenticated('TENANT_INACTIVE', `tenant ${record.tenantId} is not active`);
    await deps.apiKeys.touch(record, now);
    return { apiKey: toProtoApiKey(record) };
  };
}
