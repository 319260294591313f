// Talking to a running platform as a partner or a logged-in user would: the gateway's REST API over HTTP,
// and the password login of the identity provider.
import { call, createClient } from '@parley/kit';
import { identityV1 } from '@parley/proto';
import { asPlatform } from './callers';
import type { Platform } from './platform';

/** A gateway answer: its status and its JSON body (`{ raw }` when the body is not JSON). */
export interface Answer {
  status: number;
  body: Record<string, unknown>;
}

/** What a gateway call names: method, path, then optionally a bearer credential, a JSON body, headers. */
export type CallArgs = [
  method: string,
  path: string,
  credential?: string,
  body?: unknown,
  headers?: Record<string, string>,
];

/** One call to the platform's gateway, as a partner makes it: a bearer credential and a JSON body. */
export async function gatewayCall(
  platform: Pick<Platform, 'baseUrl'>,
  ...[method, path, credential, body, headers = {}]: CallArgs
): Promise<Answer> {
  const response = await fetch(`${platform.baseUrl}${path}`, {
    method,
    headers: {
      ...headers,
      ...(credential ? { authorization: `Bearer ${credential}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    body: text.startsWith('{') ? (JSON.parse(text) as Record<string, unknown>) : { raw: text },
  };
}

/** A user's access token from the platform's login server (password grant of the CLI client). */
export async function userLogin(
  platform: Pick<Platform, 'issuerBaseUrl'>,
  email: string,
  password: string,
): Promise<string> {
  const response = await fetch(`${platform.issuerBaseUrl}/realms/parley/protocol/openid-connect/token`, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'password', client_id: 'parley-cli', username: email, password }),
  });
  const answer = (await response.json()) as { access_token?: string };
  if (!answer.access_token) throw new Error(`login of a test user failed (${response.status})`);
  return answer.access_token;
}

export type Api = (...args: CallArgs) => Promise<Answer>;

/** `gatewayCall` bound to one platform. */
export function apiOf(platform: Pick<Platform, 'baseUrl'>): Api {
  return (...args) => gatewayCall(platform, ...args);
}

/** A new pooled GDPR tenant; answers its owner's API key. */
export async function createTenantOn(platform: Platform, id: string): Promise<string> {
  const identity = createClient(identityV1.IdentityServiceClient, platform.identity.address, {
    serviceName: 'parley.identity.v1.IdentityService',
  });
  try {
    const created = await call(
      identity,
      identity.createTenant,
      {
        id,
        name: `${id} Ltd`,
        tenancyMode: identityV1.TenancyMode.TENANCY_MODE_POOLED,
        jurisdiction: identityV1.Jurisdiction.JURISDICTION_GDPR,
        minimumAge: 0,
      },
      await asPlatform(),
    );
    return created.ownerApiKey;
  } finally {
    identity.close();
  }
}
