import { describe, expect, it } from '@jest/globals';
import { generateKey, hashSecret, parseKey, parseNewApiKey, verifySecret } from './apiKey';

describe('API keys', () => {
  it('generate as prl_<lookup>_<secret> with the lookup as visible prefix, and parse back', () => {
    const key = generateKey();
    expect(key.full).toMatch(/^prl_[0-9A-Za-z]{12}_[0-9A-Za-z]{32}$/);
    expect(key.full.startsWith(key.prefix)).toBe(true);
    expect(parseKey(key.full)).toEqual({ lookupId: key.lookupId, secret: key.secret });
    expect(generateKey().full).not.toBe(key.full);
  });

  it('refuse to parse anything else', () => {
    expect(parseKey('prl_short_secret')).toBeUndefined();
    expect(parseKey(`Bearer ${generateKey().full}`)).toBeUndefined();
  });

  it('hash with salt, verify the right secret and refuse a wrong one', async () => {
    const { secret } = generateKey();
    const [first, second] = [await hashSecret(secret), await hashSecret(secret)];
    expect(first).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(first).not.toBe(second);
    expect(first).not.toContain(secret);
    expect(await verifySecret(secret, first)).toBe(true);
    expect(await verifySecret(`${secret.slice(1)}x`, first)).toBe(false);
    expect(await verifySecret(secret, 'plain$text')).toBe(false);
  });
});

describe('parseNewApiKey', () => {
  const now = new Date('2026-06-01T00:00:00Z');

  it('names every bad field', () => {
    expect(() => parseNewApiKey({ name: ' ', scopes: [] }, now)).toThrow(
      /name: 1-100 characters; scopes: at least one scope/,
    );
    const error = (() => {
      try {
        parseNewApiKey(
          { name: 'ok', scopes: ['numbers:read', 'root'], expiresAt: new Date('2026-05-01T00:00:00Z') },
          now,
        );
        return undefined;
      } catch (failure) {
        return failure as { fieldViolations: { field: string }[] };
      }
    })();
    expect(error?.fieldViolations.map((v) => v.field)).toEqual(['scopes', 'expiresAt']);
  });

  it('trims the name and de-duplicates scopes', () => {
    expect(parseNewApiKey({ name: '  ci  ', scopes: ['*', '*'] }, now)).toEqual({
      name: 'ci',
      scopes: ['*'],
      expiresAt: undefined,
    });
  });
});
