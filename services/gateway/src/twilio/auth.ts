import { LRUCache } from 'lru-cache';
import { decodeServiceError, type Caller, type Scope } from '@parley/kit';
import { status as grpcStatus } from '@grpc/grpc-js';
import type { ApiKeys } from '../apiKeys';
import type { Backends } from '../backends';
import { TwilioError } from './errors';
import { sidOf } from './sids';

/**
 * What an Account SID and auth token may do: the Twilio-compatible API's resources, as Twilio's auth token
 * does for its account. An API key used as `SK...` keeps exactly the scopes it was given.
 */
export const TWILIO_TOKEN_SCOPES: readonly Scope[] = [
  'numbers:read',
  'numbers:write',
  'messages:read',
  'messages:write',
  'calls:read',
];

const authenticate = (message: string) =>
  new TwilioError(401, 20003, `Authenticate: ${message}`, { 'WWW-Authenticate': 'Basic realm="Twilio API"' });

/** The user name and password of an `Authorization: Basic` header, or undefined. */
export function basicCredentials(header: string | undefined): { user: string; password: string } | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * Resolves the HTTP Basic credentials of a Twilio-compatible request to the caller and its tenant's Account
 * SID, as Twilio accepts them:
 * - Account SID and auth token (identity checks the token, current or within its rotation overlap);
 * - API key SID and secret: a Parley API key `prl_...` is the secret, and its SID is `SK` followed by the
 *   key's id without hyphens (shown by `GET /v1/api-keys`); the key's scopes apply.
 * Both are checked by identity on every request, so a rotation or revocation takes effect at once.
 */
export function makeTwilioAuthenticate(backends: Backends, apiKeys: ApiKeys) {
  const { identity } = backends;
  // A tenant's Account SID never changes (it is derived from the tenant id): one look-up per tenant.
  const accountSids = new LRUCache<string, string>({ max: 10_000 });
  const accountSidOf = async (caller: Caller) => {
    let sid = accountSids.get(caller.tenantId);
    if (!sid) {
      const { tenant } = await backends.as(caller, identity, identity.getTenant, { id: caller.tenantId });
      sid = tenant?.twilioAccountSid ?? '';
      accountSids.set(caller.tenantId, sid);
    }
    return sid;
  };
  const rejectedAs = (error: unknown, message: string) => {
    if (decodeServiceError(error).code === grpcStatus.UNAUTHENTICATED) return authenticate(message);
    return error;
  };
  return async (header: string | undefined): Promise<{ caller: Caller; accountSid: string }> => {
    const credentials = basicCredentials(header);
    if (!credentials) throw authenticate('send HTTP Basic credentials: the Account SID and auth token');
    const { user, password } = credentials;
    if (/^AC[0-9a-f]{32}$/.test(user)) {
      const { tenantId } = await backends
        .as(backends.gatewayCaller, identity, identity.authenticateTwilio, {
          accountSid: user,
          authToken: password,
        })
        .catch((error: unknown) => {
          throw rejectedAs(error, 'the Account SID and auth token do not match');
        });
      return {
        caller: { tenantId, principal: `twilio:${user}`, scopes: [...TWILIO_TOKEN_SCOPES] },
        accountSid: user,
      };
    }
    if (/^SK[0-9a-f]{32}$/.test(user)) {
      const apiKey = await apiKeys.authenticate(password).catch((error: unknown) => {
        throw rejectedAs(error, 'the API key SID and secret do not match');
      });
      if (!apiKey || sidOf('SK', apiKey.id) !== user)
        throw authenticate('the API key SID and secret do not match');
      const caller: Caller = {
        tenantId: apiKey.tenantId,
        principal: `api-key:${apiKey.id}`,
        scopes: [...apiKey.scopes],
      };
      return { caller, accountSid: await accountSidOf(caller) };
    }
    throw authenticate('the user name must be an Account SID (AC...) or an API key SID (SK...)');
  };
}
