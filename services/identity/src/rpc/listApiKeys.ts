import type { RpcContext } from '@parley/kit';
import type { identityV1 } from '@parley/proto';
import type { ApiKeyRepository } from '../db/apiKeys';
import { toProtoApiKey } from './mappers';

export function makeListApiKeys(deps: { apiKeys: ApiKeyRepository }) {
  return async ({
    request,
    caller,
  }: RpcContext<identityV1.ListApiKeysRequest>): Promise<identityV1.ListApiKeysResponse> => ({
    apiKeys: (await deps.apiKeys.list(caller.tenantId, request.includeRevoked)).map(toProtoApiKey),
  });
}
