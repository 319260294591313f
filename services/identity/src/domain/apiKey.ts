import { randomBytes, randomInt, scrypt, timingSafeEqual } from 'node:crypto';
import { isScope, type FieldViolation } from '@parley/kit';
import { invalidApiKeyRequest } from './errors';

/**
 * An API key is `prl_<lookup id>_<secret>`: the lookup id (12 base62 characters) finds the key row, the
 * secret (32 base62 characters, ~190 bits) proves possession and is stored only as an scrypt hash.
 * `prl_<lookup id>` is the visible prefix shown in listings.
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
