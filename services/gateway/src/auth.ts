import { createRemoteJWKSet, decodeJwt, errors, jwtVerify, type JWTPayload } from 'jose';
import { LRUCache } from 'lru-cache';
import { isScope, isTenantId, scopesOfRoles, unauthenticated, type Caller, type Logger } from '@parley/kit';
import { identityV1 } from '@parley/proto';
import type { ApiKeys } from './apiKeys';
import type { Backends } from './backends';

export interface TokenSettings {
  /** Issuer base URL; undefined: access tokens are not accepted, only API keys. */
  baseUrl?: string;
  sharedRealm: string;
  audience: string;
  /** Dedicated release: only this tenant's realm is trusted. */
  dedicatedTenant?: string;
}

const jwt = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/**
 * Verifies Keycloak-shaped access tokens with jose against the issuing realm's JWKS. The JWKS is fetched
 * once per realm and cached; a token signed with a key the cache does not know makes jose fetch again
 * (at most every 30 s), so key rotation needs no restart. Issuer, audience, expiry and the tenant claim
 * are all checked; a dedicated tenant's realm may only speak for that tenant.
 */
export class TokenVerifier {
  private readonly keySets = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

  constructor(private readonly settings: TokenSettings) {}

  /** The realm a trusted issuer URL names, or undefined for any issuer this gateway does not trust. */
  private realmOf(issuer: string): string | undefined {
    const base = this.settings.baseUrl?.replace(/\/$/, '');
    if (!base || !issuer.startsWith(`${base}/realms/`)) return undefined;
    const realm = issuer.slice(`${base}/realms/`.length);
    if (this.settings.dedicatedTenant)
      return realm === `tenant-${this.settings.dedicatedTenant}` ? realm : undefined;
    if (realm === this.settings.sharedRealm) return realm;
    return /^tenant-[a-z0-9][a-z0-9-]{0,61}[a-z0-9]$/.test(realm) ? realm : undefined;
  }

  private keySet(issuer: string) {
    let keys = this.keySets.get(issuer);
    if (!keys) {
      keys = createRemoteJWKSet(new URL(`${issuer}/protocol/openid-connect/certs`), {
        cooldownDuration: 30_000,
        cacheMaxAge: 10 * 60_000,
        timeoutDuration: 5_000,
      });
      this.keySets.set(issuer, keys);
    }
    return keys;
  }

  async verify(token: string): Promise<{ caller: Caller; payload: JWTPayload }> {
    let issuer: string | undefined;
    try {
      issuer = decodeJwt(token).iss;
    } catch {
      throw unauthenticated('TOKEN_INVALID', 'the access token is not a JWT');
    }
    const realm = issuer ? this.realmOf(issuer) : undefined;
    if (!issuer || !realm)
      throw unauthenticated(
        'TOKEN_ISSUER_UNTRUSTED',
        'the access token comes from an issuer this API does not trust',
      );
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.keySet(issuer), {
        issuer,
        audience: this.settings.audience,
        algorithms: ['RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384', 'EdDSA'],
        clockTolerance: 5,
      }));
    } catch (error) {
      if (error instanceof errors.JWTExpired)
        throw unauthenticated('TOKEN_EXPIRED', 'the access token has expired');
      if (error instanceof errors.JWTClaimValidationFailed && error.claim === 'aud') {
        throw unauthenticated(
          'TOKEN_AUDIENCE_INVALID',
          `the access token is not meant for ${this.settings.audience}`,
        );
      }
      throw unauthenticated('TOKEN_INVALID', 'the access token could not be verified');
    }
    const tenantId = typeof payload.tenant_id === 'string' ? payload.tenant_id : '';
    if (!isTenantId(tenantId))
      throw unauthenticated('TOKEN_TENANT_MISSING', 'the access token names no tenant');
    if (realm !== this.settings.sharedRealm && realm !== `tenant-${tenantId}`) {
      throw unauthenticated(
        'TOKEN_TENANT_MISMATCH',
        'the access token names a tenant its realm does not serve',
      );
    }
    if (!payload.sub) throw unauthenticated('TOKEN_INVALID', 'the access token has no subject');
    if (typeof payload.parley_scopes === 'string') {
      const scopes = payload.parley_scopes.split(' ').filter((scope) => isScope(scope) && scope !== '*');
      return {
        caller: { tenantId, principal: `client:${String(payload.azp ?? payload.sub)}`, scopes },
        payload,
      };
    }
    const roles = (payload.realm_access as { roles?: unknown } | undefined)?.roles;
    const scopes = scopesOfRoles(
      Array.isArray(roles) ? roles.filter((role): role is string => typeof role === 'string') : [],
    );
    return { caller: { tenantId, principal: `user:${payload.sub}`, scopes }, payload };
  }
}

/** What a request tells about where it comes from, for the login record. */
export interface RequestOrigin {
  ip: string;
  userAgent: string;
}

/**
 * How long a replica trusts identity's answer that a user may act. Closing or erasing an account reaches
 * every replica within this time (identity is asked, so there is nothing to keep in step between
 * replicas); within it, one call per user, not per request.
 */
export const USER_STATUS_CACHE_MS = 5_000;

/**
 * Resolves a bearer credential to the caller: a Parley API key (checked by identity, the answer cached for
 * API_KEY_CACHE_MS; revocation through this replica is immediate) or an access token, refused once the user's account is closed or erased, or their
 * (or a partner client's) tenant closed (identity says so; the answer is cached for USER_STATUS_CACHE_MS). The first time a user's login session is seen, its IP and
 * user agent are recorded as the account's last login.
 */
export function makeAuthenticate(backends: Backends, apiKeys: ApiKeys, tokens: TokenVerifier, log: Logger) {
  const seenLogins = new Map<string, number>();
  const userStatus = new LRUCache<string, identityV1.UserStatus>({ max: 10_000, ttl: USER_STATUS_CACHE_MS });
  const requireActiveUser = async (tenantId: string, userId: string) => {
    const key = `${tenantId}\n${userId}`;
    let status = userStatus.get(key);
    if (status === undefined) {
      ({ status } = await backends.as(
        backends.gatewayCaller,
        backends.identity,
        backends.identity.getUserStatus,
        { tenantId, userId },
      ));
      userStatus.set(key, status);
    }
    if (status === identityV1.UserStatus.USER_STATUS_TENANT_INACTIVE)
      throw unauthenticated('TENANT_INACTIVE', `tenant ${tenantId} is not active`);
    if (status !== identityV1.UserStatus.USER_STATUS_ACTIVE) {
      throw unauthenticated(
        'TOKEN_ACCOUNT_CLOSED',
        'the account this access token belongs to is closed or erased',
      );
    }
  };
  return async (credential: string, origin: RequestOrigin): Promise<Caller> => {
    if (credential.startsWith('prl_')) {
      const apiKey = await apiKeys.authenticate(credential);
      if (!apiKey) throw unauthenticated('CREDENTIAL_INVALID', 'the API key is not valid');
      return { tenantId: apiKey.tenantId, principal: `api-key:${apiKey.id}`, scopes: [...apiKey.scopes] };
    }
    if (!jwt.test(credential)) {
      throw unauthenticated(
        'CREDENTIAL_INVALID',
        'the bearer credential is neither a Parley API key nor an access token',
      );
    }
    const { caller, payload } = await tokens.verify(credential);
    // A partner client's token is refused once its tenant is closed, as a user's is (identity answers
    // for the client id as for a user without an account: active while the tenant is).
    if (caller.principal.startsWith('client:')) await requireActiveUser(caller.tenantId, String(payload.sub));
    if (caller.principal.startsWith('user:')) {
      await requireActiveUser(caller.tenantId, caller.principal.slice('user:'.length));
      const session = `${caller.principal}:${String(payload.sid ?? payload.auth_time ?? payload.iat)}`;
      if (!seenLogins.has(session)) {
        if (seenLogins.size > 10_000) seenLogins.clear();
        seenLogins.set(session, Date.now());
        const at = new Date(Number(payload.auth_time ?? payload.iat ?? Date.now() / 1000) * 1000);
        backends
          .as(caller, backends.identity, backends.identity.recordLogin, {
            ip: origin.ip,
            userAgent: origin.userAgent,
            at,
          })
          .catch((error: unknown) => log.warn({ err: error }, 'could not record the login'));
      }
    }
    return caller;
  };
}
