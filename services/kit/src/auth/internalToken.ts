import { SignJWT, jwtVerify, errors } from 'jose';
import type { Caller } from '../grpc/caller';

/**
 * The caller as one service tells another: a short-lived HS256 JWT signed with INTERNAL_TOKEN_KEY, which
 * every Parley service shares and nothing outside holds. The gateway mints one per request from the
 * verified API key or access token; services accept a call only with a valid one, and take the tenant
 * from it, never from a request body.
 */
export const INTERNAL_TOKEN_METADATA_KEY = 'parley-internal-token';
const ISSUER = 'parley';
const AUDIENCE = 'parley-services';
const LIFETIME_SECONDS = 60;

export class InternalTokenError extends Error {}

export class InternalTokens {
  private readonly key: Uint8Array;

  constructor(secret: string) {
    if (secret.length < 32) throw new Error('INTERNAL_TOKEN_KEY must be at least 32 characters');
    this.key = new TextEncoder().encode(secret);
  }

  /** Signs a token for `caller`, valid for a minute. */
  async sign(caller: Caller): Promise<string> {
    return new SignJWT({ tid: caller.tenantId, scp: caller.scopes })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject(caller.principal)
      .setIssuedAt()
      .setExpirationTime(`${LIFETIME_SECONDS}s`)
      .sign(this.key);
  }

  /** Verifies a token and returns the caller it carries; throws InternalTokenError when it is not valid. */
  async verify(token: string): Promise<Caller> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        issuer: ISSUER,
        audience: AUDIENCE,
        algorithms: ['HS256'],
      });
      const tenantId = typeof payload.tid === 'string' ? payload.tid : '';
      const scopes = Array.isArray(payload.scp)
        ? payload.scp.filter((scope): scope is string => typeof scope === 'string')
        : [];
      if (!payload.sub) throw new InternalTokenError('internal token has no subject');
      return { tenantId, principal: payload.sub, scopes };
    } catch (error) {
      if (error instanceof InternalTokenError) throw error;
      const reason = error instanceof errors.JWTExpired ? 'expired' : 'invalid';
      throw new InternalTokenError(`internal token ${reason}`);
    }
  }
}
