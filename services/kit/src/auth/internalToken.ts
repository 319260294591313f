import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { SignJWT, decodeJwt, decodeProtectedHeader, jwtVerify, errors } from 'jose';
import { z } from 'zod';
import type { Caller } from '../grpc/caller';

/**
 * The caller as one service tells another: a short-lived EdDSA (Ed25519) JWT. Every service signs with a
 * private key of its own (INTERNAL_TOKEN_PRIVATE_KEY) and names itself as issuer; every service verifies
 * with the issuers' public keys (INTERNAL_TOKEN_PUBLIC_KEYS, a JWKS whose `kid` is the issuing service).
 *
 * What an issuer may assert is fixed here, not in its token: the gateway (which authenticates people and
 * partners) may assert any caller; any other service only itself (`service:<name>`) with the `internal`
 * scope, for a tenant or none. So a compromised service can read what an internal call may read, but it
 * cannot mint a tenant user or a `platform:admin` caller, and an HS256 token signed with the old shared
 * secret is refused outright (only EdDSA is accepted).
 */
export const INTERNAL_TOKEN_METADATA_KEY = 'parley-internal-token';
const AUDIENCE = 'parley-services';
const LIFETIME_SECONDS = 60;
/** A signed token is used again for the same caller until it is this old (half its lifetime). */
const REUSE_SECONDS = 30;
/** At most this many signed or verified tokens are kept (the oldest go first). */
const CACHE_ENTRIES = 10_000;
/** The issuers whose tokens may assert any caller. */
export const PRIVILEGED_ISSUERS: readonly string[] = ['gateway'];
/** The only scope an unprivileged issuer may assert. */
const SERVICE_SCOPE = 'internal';

export class InternalTokenError extends Error {}

const issuerName = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,62}$/, 'a service name (lowercase letters, digits, -)');
const publicJwk = z
  .object({
    kty: z.literal('OKP', { error: 'kty must be OKP (Ed25519)' }),
    crv: z.literal('Ed25519', { error: 'crv must be Ed25519' }),
    x: z.string().min(1),
    kid: issuerName,
    d: z.undefined({ error: 'holds a private key (d); publish only public keys' }).optional(),
  })
  .loose();

/** INTERNAL_TOKEN_PUBLIC_KEYS: a JWKS, one Ed25519 key (or several, while rotating) per issuing service. */
export const internalTokenPublicKeysSchema = z
  .string()
  .transform((value, context) => {
    try {
      return JSON.parse(value) as unknown;
    } catch {
      context.addIssue({ code: 'custom', message: 'must be a JSON Web Key Set: {"keys":[...]}' });
      return z.NEVER;
    }
  })
  .pipe(
    z.object(
      { keys: z.array(publicJwk).min(1, 'must hold at least the gateway key') },
      { error: 'must be a JSON Web Key Set: {"keys":[...]}' },
    ),
  )
  .refine((set) => set.keys.some((key) => PRIVILEGED_ISSUERS.includes(key.kid)), {
    message: `must hold the public key of ${PRIVILEGED_ISSUERS.join(', ')} (kid "gateway")`,
  });

/** INTERNAL_TOKEN_PRIVATE_KEY: this service's Ed25519 private key, as PKCS#8 PEM or as a JWK (JSON). */
export const internalTokenPrivateKeySchema = z.string().transform((value, context) => {
  try {
    return parsePrivateKey(value);
  } catch (error) {
    context.addIssue({
      code: 'custom',
      message: `must be an Ed25519 private key, PKCS#8 PEM or JWK JSON (${(error as Error).message})`,
    });
    return z.NEVER;
  }
});

function parsePrivateKey(value: string): KeyObject {
  const trimmed = value.trim();
  const key = trimmed.startsWith('{')
    ? createPrivateKey({ key: JSON.parse(trimmed) as Record<string, string>, format: 'jwk' })
    : createPrivateKey(trimmed.replace(/\\n/g, '\n'));
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`got a ${key.asymmetricKeyType ?? 'secret'} key`);
  return key;
}

export interface InternalTokenKeys {
  /** This service's name: the issuer of the tokens it signs, and the `kid` of its public key. */
  issuer: string;
  /** Its private key (KeyObject, PEM or JWK JSON). */
  privateKey: KeyObject | string;
  /** Every issuer's public keys: a JWKS (object or JSON text). */
  publicKeys: string | { keys: { kid?: string }[] };
}

export class InternalTokens {
  readonly issuer: string;
  private readonly privateKey: KeyObject;
  private readonly publicKeys = new Map<string, KeyObject[]>();
  /** Tokens signed by this service, by caller: one signature per caller per half-minute, not per call. */
  private readonly signed = new Map<string, { token: Promise<string>; reuseUntil: number }>();
  /** Tokens this service verified, with their caller, until they expire: a repeated token is not verified again. */
  private readonly verified = new Map<string, { caller: Caller; expiresAt: number }>();

  constructor(keys: InternalTokenKeys) {
    this.issuer = keys.issuer;
    this.privateKey =
      typeof keys.privateKey === 'string' ? parsePrivateKey(keys.privateKey) : keys.privateKey;
    const set = internalTokenPublicKeysSchema.parse(
      typeof keys.publicKeys === 'string' ? keys.publicKeys : JSON.stringify(keys.publicKeys),
    );
    for (const jwk of set.keys) {
      const key = createPublicKey({ key: jwk as Record<string, string>, format: 'jwk' });
      this.publicKeys.set(jwk.kid, [...(this.publicKeys.get(jwk.kid) ?? []), key]);
    }
  }

  /** Whether this service may assert `caller` (the same rule every verifier applies). */
  static allows(issuer: string, caller: Caller): boolean {
    if (PRIVILEGED_ISSUERS.includes(issuer)) return true;
    return (
      caller.principal === `service:${issuer}` && caller.scopes.every((scope) => scope === SERVICE_SCOPE)
    );
  }

  /**
   * A token for `caller`, valid for a minute: the one signed for the same caller within the last half-minute
   * (an Ed25519 signature per call was a measurable share of every call's cost), else a new one. Refuses a
   * caller this service may not assert.
   */
  async sign(caller: Caller): Promise<string> {
    if (!InternalTokens.allows(this.issuer, caller))
      throw new InternalTokenError(
        `${this.issuer} may only call as service:${this.issuer} with the ${SERVICE_SCOPE} scope`,
      );
    const key = JSON.stringify([caller.tenantId, caller.principal, caller.scopes]);
    const now = Date.now();
    const kept = this.signed.get(key);
    if (kept && kept.reuseUntil > now) return kept.token;
    const token = this.signNew(caller);
    remember(this.signed, key, { token, reuseUntil: now + REUSE_SECONDS * 1000 });
    // A failed signature is not kept for the next call.
    token.catch(() => this.signed.delete(key));
    return token;
  }

  private signNew(caller: Caller): Promise<string> {
    return new SignJWT({ tid: caller.tenantId, scp: caller.scopes })
      .setProtectedHeader({ alg: 'EdDSA', typ: 'JWT', kid: this.issuer })
      .setIssuer(this.issuer)
      .setAudience(AUDIENCE)
      .setSubject(caller.principal)
      .setIssuedAt()
      .setExpirationTime(`${LIFETIME_SECONDS}s`)
      .sign(this.privateKey);
  }

  /**
   * Verifies a token and returns the caller it carries: signed by its issuer's key, unexpired, and within
   * what that issuer may assert. Throws InternalTokenError otherwise.
   */
  async verify(token: string): Promise<Caller> {
    const known = this.verified.get(token);
    if (known && known.expiresAt > Date.now()) return { ...known.caller, scopes: [...known.caller.scopes] };
    if (known) this.verified.delete(token);
    let issuer: string;
    try {
      const header = decodeProtectedHeader(token);
      issuer = String(decodeJwt(token).iss ?? '');
      if (header.alg !== 'EdDSA') throw new InternalTokenError('internal token is not EdDSA-signed');
    } catch (error) {
      if (error instanceof InternalTokenError) throw error;
      throw new InternalTokenError('internal token invalid');
    }
    const candidates = this.publicKeys.get(issuer);
    if (!candidates) throw new InternalTokenError('internal token from an unknown issuer');
    let payload: Awaited<ReturnType<typeof jwtVerify>>['payload'] | undefined;
    let failure: unknown;
    for (const key of candidates) {
      try {
        ({ payload } = await jwtVerify(token, key, { issuer, audience: AUDIENCE, algorithms: ['EdDSA'] }));
        break;
      } catch (error) {
        failure = error;
      }
    }
    if (!payload) {
      const reason = failure instanceof errors.JWTExpired ? 'expired' : 'invalid';
      throw new InternalTokenError(`internal token ${reason}`);
    }
    const tenantId = typeof payload.tid === 'string' ? payload.tid : '';
    const scopes = Array.isArray(payload.scp)
      ? payload.scp.filter((scope): scope is string => typeof scope === 'string')
      : [];
    if (!payload.sub) throw new InternalTokenError('internal token has no subject');
    const caller = { tenantId, principal: payload.sub, scopes };
    if (!InternalTokens.allows(issuer, caller))
      throw new InternalTokenError(`internal token asserts a caller its issuer (${issuer}) may not assert`);
    if (typeof payload.exp === 'number')
      remember(this.verified, token, {
        caller: { ...caller, scopes: [...scopes] },
        expiresAt: payload.exp * 1000,
      });
    return caller;
  }
}

/** Sets `key` in a bounded map: past CACHE_ENTRIES the oldest entry goes (a Map iterates in insertion order). */
function remember<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > CACHE_ENTRIES) map.delete(map.keys().next().value!);
}

/** A fresh Ed25519 key pair for a service: the private key as JWK JSON, and the public JWK (kid = service). */
export function generateInternalTokenKeyPair(issuer: string): {
  privateKey: string;
  publicJwk: { kty: string; crv: string; x: string; kid: string };
} {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const jwk = publicKey.export({ format: 'jwk' }) as { kty: string; crv: string; x: string };
  return {
    privateKey: JSON.stringify(privateKey.export({ format: 'jwk' })),
    publicJwk: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, kid: issuer },
  };
}

/** The JWKS (INTERNAL_TOKEN_PUBLIC_KEYS) of the given services' private keys, by service name. */
export function internalTokenPublicKeySet(privateKeys: Record<string, string>): string {
  return JSON.stringify({
    keys: Object.entries(privateKeys).map(([issuer, privateKey]) => {
      const jwk = createPublicKey(parsePrivateKey(privateKey)).export({ format: 'jwk' }) as {
        kty: string;
        crv: string;
        x: string;
      };
      return { kty: jwk.kty, crv: jwk.crv, x: jwk.x, kid: issuer };
    }),
  });
}
