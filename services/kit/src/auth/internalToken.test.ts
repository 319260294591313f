import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { SignJWT } from 'jose';
import { generateKeyPairSync } from 'node:crypto';
import {
  generateInternalTokenKeyPair,
  internalTokenPublicKeySet,
  internalTokenPublicKeysSchema,
  InternalTokens,
  InternalTokenError,
} from './internalToken';

const pairs = {
  gateway: generateInternalTokenKeyPair('gateway'),
  privacy: generateInternalTokenKeyPair('privacy'),
};
const publicKeys = { keys: [pairs.gateway.publicJwk, pairs.privacy.publicJwk] };
const tokensOf = (issuer: 'gateway' | 'privacy', privateKey = pairs[issuer].privateKey) =>
  new InternalTokens({ issuer, privateKey, publicKeys });
const user = { tenantId: 'acme', principal: 'api-key:1', scopes: ['numbers:read'] };
const admin = { tenantId: 'platform', principal: 'admin', scopes: ['*', 'platform:admin'] };
const privacyItself = { tenantId: 'acme', principal: 'service:privacy', scopes: ['internal'] };

/** A token signed with `privacy`'s real key but claiming whatever the payload says, as a forger would. */
async function forge(payload: { tid: string; sub: string; scp: string[] }, issuer = 'privacy') {
  const { createPrivateKey } = await import('node:crypto');
  const key = createPrivateKey({ key: JSON.parse(pairs.privacy.privateKey) as never, format: 'jwk' });
  return new SignJWT({ tid: payload.tid, scp: payload.scp })
    .setProtectedHeader({ alg: 'EdDSA', kid: issuer })
    .setIssuer(issuer)
    .setAudience('parley-services')
    .setSubject(payload.sub)
    .setExpirationTime('1m')
    .sign(key);
}

describe('InternalTokens', () => {
  it('round-trips any caller the gateway asserts, and a service calling as itself', async () => {
    const verifier = tokensOf('privacy');
    expect(await verifier.verify(await tokensOf('gateway').sign(user))).toEqual(user);
    expect(await verifier.verify(await tokensOf('gateway').sign(admin))).toEqual(admin);
    expect(await tokensOf('gateway').verify(await tokensOf('privacy').sign(privacyItself))).toEqual(
      privacyItself,
    );
  });

  it('lets no other service sign a tenant user, platform:admin, or another service', async () => {
    const privacy = tokensOf('privacy');
    for (const caller of [user, admin, { ...privacyItself, principal: 'service:gateway' }]) {
      await expect(privacy.sign(caller)).rejects.toThrow(InternalTokenError);
    }
    // A service that skips its own check still gets nowhere: every verifier applies the same rule.
    const gateway = tokensOf('gateway');
    await expect(gateway.verify(await forge({ tid: 'acme', sub: 'api-key:1', scp: ['*'] }))).rejects.toThrow(
      /may not assert/,
    );
    await expect(
      gateway.verify(await forge({ tid: '', sub: 'service:privacy', scp: ['internal', 'platform:admin'] })),
    ).rejects.toThrow(/may not assert/);
  });

  it('refuses a token claiming the gateway but signed with another key', async () => {
    const impostor = tokensOf('gateway', generateInternalTokenKeyPair('gateway').privateKey);
    await expect(tokensOf('privacy').verify(await impostor.sign(admin))).rejects.toThrow(
      'internal token invalid',
    );
    await expect(
      tokensOf('privacy').verify(await forge({ tid: '', sub: 'x', scp: ['*'] }, 'gateway')),
    ).rejects.toThrow('internal token invalid');
  });

  it('refuses an unknown issuer, an expired token, another audience and the old HS256 tokens', async () => {
    const verifier = tokensOf('gateway');
    await expect(
      verifier.verify(await forge({ tid: '', sub: 'service:billing', scp: ['internal'] }, 'billing')),
    ).rejects.toThrow('unknown issuer');
    const old = await new SignJWT({ tid: 'acme', scp: ['*'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('gateway')
      .setAudience('parley-services')
      .setSubject('x')
      .setExpirationTime('1m')
      .sign(new TextEncoder().encode('k'.repeat(40)));
    await expect(verifier.verify(old)).rejects.toThrow(InternalTokenError);
    await expect(verifier.verify('not.a.jwt')).rejects.toThrow(InternalTokenError);
    const { createPrivateKey } = await import('node:crypto');
    const key = createPrivateKey({ key: JSON.parse(pairs.gateway.privateKey) as never, format: 'jwk' });
    const expired = await new SignJWT({ tid: 'acme', scp: [] })
      .setProtectedHeader({ alg: 'EdDSA' })
      .setIssuer('gateway')
      .setAudience('parley-services')
      .setSubject('x')
      .setExpirationTime(Math.floor(Date.now() / 1000) - 10)
      .sign(key);
    await expect(verifier.verify(expired)).rejects.toThrow('internal token expired');
    const elsewhere = await new SignJWT({ tid: 'acme', scp: [] })
      .setProtectedHeader({ alg: 'EdDSA' })
      .setIssuer('gateway')
      .setAudience('somewhere-else')
      .setSubject('x')
      .setExpirationTime('1m')
      .sign(key);
    await expect(verifier.verify(elsewhere)).rejects.toThrow('internal token invalid');
  });

  describe('signed and verified tokens kept for their lifetime', () => {
    afterEach(() => {
      jest.useRealTimers();
    });
    const clock = (at: number) => {
      jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
      jest.setSystemTime(at);
    };

    it('signs once per caller per half-minute', async () => {
      const start = Date.parse('2026-12-01T12:00:00Z');
      clock(start);
      const gateway = tokensOf('gateway');
      const first = await gateway.sign(user);
      expect(await gateway.sign({ ...user, scopes: [...user.scopes] })).toBe(first);
      expect(await gateway.sign({ ...user, tenantId: 'globex' })).not.toBe(first);
      expect(await gateway.sign({ ...user, scopes: ['numbers:write'] })).not.toBe(first);
      jest.setSystemTime(start + 31_000);
      const second = await gateway.sign(user);
      expect(second).not.toBe(first);
      // Both are valid: the first has half a minute left.
      expect(await tokensOf('privacy').verify(first)).toEqual(user);
      expect(await tokensOf('privacy').verify(second)).toEqual(user);
    });

    it('answers a token verified before from memory, and refuses it once it has expired', async () => {
      const start = Date.parse('2026-12-01T12:00:00Z');
      clock(start);
      const verifier = tokensOf('privacy');
      const token = await tokensOf('gateway').sign(admin);
      const caller = await verifier.verify(token);
      expect(caller).toEqual(admin);
      // The caller handed out is a copy: changing it changes nothing for the next call.
      caller.scopes.push('extra');
      expect(await verifier.verify(token)).toEqual(admin);
      jest.setSystemTime(start + 61_000);
      await expect(verifier.verify(token)).rejects.toThrow('internal token expired');
    });

    it('does not keep a token that failed verification', async () => {
      const verifier = tokensOf('gateway');
      const forged = await forge({ tid: 'acme', sub: 'api-key:1', scp: ['*'] });
      await expect(verifier.verify(forged)).rejects.toThrow(/may not assert/);
      await expect(verifier.verify(forged)).rejects.toThrow(/may not assert/);
    });
  });

  it('validates the key set: JSON, Ed25519 public keys only, the gateway present', () => {
    const problems = (value: string) => {
      const result = internalTokenPublicKeysSchema.safeParse(value);
      return result.success ? [] : result.error.issues.map((issue) => issue.message);
    };
    expect(problems(JSON.stringify(publicKeys))).toEqual([]);
    expect(problems('gateway=abc')).toEqual(['must be a JSON Web Key Set: {"keys":[...]}']);
    expect(problems(JSON.stringify({ keys: [pairs.privacy.publicJwk] })).join()).toMatch(/gateway/);
    const leaked = { ...JSON.parse(pairs.gateway.privateKey), kid: 'gateway' } as Record<string, string>;
    expect(problems(JSON.stringify({ keys: [leaked] })).join()).toMatch(/private key/);
    expect(() => new InternalTokens({ issuer: 'gateway', privateKey: 'k'.repeat(40), publicKeys })).toThrow();
  });

  it('takes a PKCS#8 PEM private key too, and derives the key set from private keys', async () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const set = internalTokenPublicKeySet({ gateway: pem, privacy: pairs.privacy.privateKey });
    expect(JSON.parse(set)).toEqual({
      keys: [
        expect.objectContaining({ kid: 'gateway', kty: 'OKP', crv: 'Ed25519' }),
        pairs.privacy.publicJwk,
      ],
    });
    const gateway = new InternalTokens({ issuer: 'gateway', privateKey: pem, publicKeys: set });
    expect(await gateway.verify(await gateway.sign(admin))).toEqual(admin);
  });
});
