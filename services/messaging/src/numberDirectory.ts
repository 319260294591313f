import { LRUCache } from 'lru-cache';
import type { NumberDirectory, ResolvedNumber } from './deps';

/**
 * How long this replica trusts numbering's answer for a number: within it, a sender's number is resolved
 * once, not once per send (the call was a sixth of accepting a message). A number released or moved to
 * another account is seen here within this time; a released number is quarantined for days, so nobody
 * else can hold it meanwhile.
 */
export const NUMBER_CACHE_MS = 5_000;

/** `directory` with its answers kept for NUMBER_CACHE_MS, per number and asking tenant; "no such number" is not kept. */
export function cachedNumberDirectory(directory: NumberDirectory, ttlMs = NUMBER_CACHE_MS): NumberDirectory {
  const known = new LRUCache<string, ResolvedNumber>({ max: 10_000, ttl: ttlMs });
  return {
    async resolve(e164, tenantId) {
      const key = `${tenantId}\n${e164}`;
      const kept = known.get(key);
      if (kept) return { ...kept, capabilities: [...kept.capabilities] };
      const found = await directory.resolve(e164, tenantId);
      if (found) known.set(key, { ...found, capabilities: [...found.capabilities] });
      return found;
    },
  };
}
