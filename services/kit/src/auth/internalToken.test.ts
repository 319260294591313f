import { describe, expect, it } from '@jest/globals';
import { SignJWT } from 'jose';
import { InternalTokens, InternalTokenError } from './internalToken';

const key = 'k'.repeat(40);
const caller = { tenantId: 'acme', principal: 'api-key:1', scopes: ['numbers:read'] };

describe('InternalTokens', () => {
  it('round-trips the caller', async () => {
    const tokens = new InternalTokens(key);
    expect(await tokens.verify(await tokens.sign(caller))).toEqual(caller);
  });

  it('refuses a token signed with another key, an expired one, and one for another audience', async () => {
    const tokens = new InternalTokens(key);
    await expect(tokens.verify(await new InternalTokens('x'.repeat(40)).sign(caller))).rejects.toThrow(
      InternalTokenError,
    );
    const secret = new TextEncoder().encode(key);
    const expired = await new SignJWT({ tid: 'acme', scp: [] })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('parley')
      .setAudience('parley-services')
      .setSubject('x')
      .setExpirationTime(Math.floor(Date.now() / 1000) - 10)
      .sign(secret);
    await expect(tokens.verify(expired)).rejects.toThrow('internal token expired');
    const elsewhere = await new SignJWT({ tid: 'acme', scp: ['*'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('parley')
      .setAudience('somewhere-else')
      .setSubject('x')
      .setExpirationTime('1m')
      .sign(secret);
    await expect(tokens.verify(elsewhere)).rejects.toThrow('internal token invalid');
    await expect(tokens.verify('not.a.jwt')).rejects.toThrow(InternalTokenError);
  });

  it('refuses a short key', () => {
    expect(() => new InternalTokens('short')).toThrow(/at least 32/);
  });
});
