import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { identityV1 } from '@parley/proto';
import type { Backends } from './backends';

/**
 * How long a replica trusts identity's answer that an API key is valid: within it, one call to identity
 * per key, not one per request (the call and its five statements were a fifth of a send's cost). A key
 * revoked, or whose tenant is closed, through this replica stops working here at once; on other replicas
 * within this time. A key never outlives its own expiry here.
 */
export const API_KEY_CACHE_MS = 5_000;

/** Parley API keys (`prl_...`, and the Twilio API's key secrets) as identity authenticates them. */
export class ApiKeys {
  /** By a digest of the secret: the secret itself is not kept. */
  private readonly valid = new LRUCache<string, identityV1.ApiKey>({ max: 10_000, ttl: API_KEY_CACHE_MS });

  constructor(private readonly backends: Pick<Backends, 'as' | 'gatewayCaller' | 'identity'>) {}

  /** The key a secret belongs to, or undefined; identity's refusals (revoked, expired) are thrown as they come. */
  async authenticate(secret: string): Promise<identityV1.ApiKey | undefined> {
    const digest = createHash('sha256').update(secret).digest('base64url');
    const known = this.valid.get(digest);
    if (known) return known;
    const { identity } = this.backends;
    const { apiKey } = await this.backends.as(
      this.backends.gatewayCaller,
      identity,
      identity.authenticateApiKey,
      { secret },
    );
    if (apiKey) {
      const left = apiKey.expiresAt ? apiKey.expiresAt.getTime() - Date.now() : Infinity;
      if (left > 0) this.valid.set(digest, apiKey, { ttl: Math.min(API_KEY_CACHE_MS, left) });
    }
    return apiKey;
  }

  /** Forgets a key at once: it was revoked through this replica. */
  forget(id: string): void {
    this.forgetWhere((apiKey) => apiKey.id === id);
  }

  /** Forgets every key of a tenant at once: the tenant was closed through this replica. */
  forgetTenant(tenantId: string): void {
    this.forgetWhere((apiKey) => apiKey.tenantId === tenantId);
  }

  private forgetWhere(matches: (apiKey: identityV1.ApiKey) => boolean): void {
    for (const [digest, apiKey] of this.valid.entries()) if (matches(apiKey)) this.valid.delete(digest);
  }
}
