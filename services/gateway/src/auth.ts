import { unauthenticated, type Caller } from '@parley/kit';
import type { Backends } from './backends';

/** Resolves a bearer credential to the caller. API keys are checked by identity on every request. */
export function makeAuthenticate(backends: Backends) {
  return async (credential: string): Promise<Caller> => {
    if (!credential.startsWith('prl_')) {
      throw unauthenticated('CREDENTIAL_INVALID', 'the bearer credential is not a Parley API key');
    }
    const { apiKey } = await backends.as(undefined, backends.identity, backends.identity.authenticateApiKey, {
      secret: credential,
    });
    if (!apiKey) throw unauthenticated('CREDENTIAL_INVALID', 'the API key is not valid');
    return { tenantId: apiKey.tenantId, principal: `api-key:${apiKey.id}`, scopes: apiKey.scopes };
  };
}
