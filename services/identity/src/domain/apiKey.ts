import { createHmac, randomBytes, randomInt, scrypt, timingSafeEqual } from 'node:crypto';
import { isScope, type FieldViolation } from '@parley/kit';
import { invalidApiKeyRequest } from './errors';

/**
 * An API key is `prl_<lookup id>_<secret>`: 12 base62 characters that name the key in listings
 * (`prl_<lookup id>` is its visible prefix) and 32 base62 characters of secret (~190 bits). The key is
 * stored only as a keyed hash (see ApiKeyDigester); keys issued before that were stored as scrypt hashes.
 */
const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const keyPattern = /^prl_([0-9A-Za-z]{12})_([0-9A-Za-z]{32})$/;

function randomBase62(length: number): string {
  let out = '';
  for (let index = 0; index < length; index += 1) out += alphabet[randomInt(alphabet.length)];
  return out;
}

export interface GeneratedKey {
  lookupId: string;
  secret: string;
  full: string;
  prefix: string;
}

export function generateKey(): GeneratedKey {
  const lookupId = randomBase62(12);
  const secret = randomBase62(32);
  return { lookupId, secret, full: `prl_${lookupId}_${secret}`, prefix: `prl_${lookupId}` };
}

export function parseKey(full: string): { lookupId: string; secret: string } | undefined {
  const match = keyPattern.exec(full);
  return match ? { lookupId: match[1]!, secret: match[2]! } : undefined;
}

export const prefixOf = (lookupId: string) => `prl_${lookupId}`;

/** Tag of a stored keyed hash: `hmac-sha256$<base64 digest>`. */
const HMAC_SCHEME = 'hmac-sha256';

/**
 * The keyed hash an API key is stored and found by: HMAC-SHA-256 of the whole presented key under a pepper,
 * a secret of its own (API_KEY_PEPPER) kept outside the database.
 *
 * Why not a password hash: the secret is ~190 random bits, so nobody can guess it whether it is hashed fast
 * or slowly; a slow hash only burns 50-90 ms of CPU per request. The pepper makes a stolen table useless on
 * its own (no one can compute a digest without it).
 *
 * Why timing reveals nothing: authentication computes the digest (the same work for every well-formed key),
 * then asks PostgreSQL for the row whose unique-indexed digest equals it. An unknown key and a known lookup
 * id with a wrong secret are the same case: a digest no row has, one index probe, no row. There is no step
 * that runs only when the lookup id exists (the old scheme ran scrypt only then). The index comparison
 * itself leaks nothing useful: the attacker cannot choose digests, since each is an HMAC under the pepper.
 * A found row is compared once more with `timingSafeEqual` against the tenant's own record.
 */
export class ApiKeyDigester {
  private readonly pepper: Buffer;

  constructor(pepper: string) {
    if (pepper.length < 32) throw new Error('API_KEY_PEPPER must be at least 32 characters');
    this.pepper = Buffer.from(pepper, 'utf8');
  }

  /** The 32-byte digest of a presented key (the whole `prl_..._...` string). */
  digest(fullKey: string): Buffer {
    return createHmac('sha256', this.pepper).update(fullKey, 'utf8').digest();
  }

  /** The form stored in `api_keys.secret_hash`. */
  stored(digest: Buffer): string {
    return `${HMAC_SCHEME}$${digest.toString('base64')}`;
  }

  /** Whether `stored` is this digest, compared in constant time; false for any other scheme. */
  matches(digest: Buffer, stored: string): boolean {
    const [scheme, encoded] = stored.split('$');
    if (scheme !== HMAC_SCHEME || !encoded) return false;
    const expected = Buffer.from(encoded, 'base64');
    return expected.length === digest.length && timingSafeEqual(expected, digest);
  }
}

/** Whether a stored hash is the scrypt form of keys issued before keyed hashes (upgraded on first use). */
export const isLegacyHash = (stored: string) => stored.startsWith('scrypt$');

// scrypt stays for what people choose (the embedded provider's passwords), and for verifying old keys.
const N = 16_384;
const r = 8;
const p = 1;
const KEY_LENGTH = 32;

function derive(secret: string, salt: Buffer, params = { N, r, p }): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(secret, salt, KEY_LENGTH, { ...params, maxmem: 64 * 1024 * 1024 }, (error, key) =>
      error ? reject(error) : resolve(key),
    ),
  );
}

/** `scrypt$N$r$p$salt$hash`, so parameters can be raised later without breaking stored keys. */
export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await derive(secret, salt);
  return ['scrypt', N, r, p, salt.toString('base64'), hash.toString('base64')].join('$');
}

export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const [scheme, n, rr, pp, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = await derive(secret, Buffer.from(salt, 'base64'), {
    N: Number(n),
    r: Number(rr),
    p: Number(pp),
  });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

export interface NewApiKey {
  name: string;
  scopes: string[];
  expiresAt?: Date;
}

export function parseNewApiKey(
  request: { name: string; scopes: string[]; expiresAt?: Date },
  now: Date,
  platform = false,
): NewApiKey {
  const violations: FieldViolation[] = [];
  const name = request.name.trim();
  if (name.length < 1 || name.length > 100)
    violations.push({ field: 'name', description: '1-100 characters' });
  if (request.scopes.length === 0) violations.push({ field: 'scopes', description: 'at least one scope' });
  // Only the platform tenant's keys may carry platform:admin.
  const unknown = request.scopes.filter(
    (scope) => !isScope(scope) && !(platform && scope === 'platform:admin'),
  );
  if (unknown.length > 0)
    violations.push({ field: 'scopes', description: `unknown scopes: ${unknown.join(', ')}` });
  if (request.expiresAt && request.expiresAt.getTime() <= now.getTime()) {
    violations.push({ field: 'expiresAt', description: 'must be in the future' });
  }
  if (violations.length > 0) throw invalidApiKeyRequest(violations);
  return { name, scopes: [...new Set(request.scopes)], expiresAt: request.expiresAt };
}
