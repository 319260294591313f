// Talking to a running platform as a partner or a logged-in user would: the gateway's REST API over HTTP,
// and the password login of the identity provider.
import { call, createClient } from '@parley/kit';
import { identityV1 } from '@parley/proto';
import { asPlatform } from './callers';
import type { Platform } from './platform';

export interface Answer {
  status: number;
  body: Record<string, unknown>;
}

export type Api = (
  method: string,
  path: string,
  credential?: string,
  body?: unknown,
  headers?: Record<string, string>,
) => Promise<Answer>;

/** Calls the gateway; a JSON answer is parsed, anything else is returned as `{ raw }`. */
export function apiOf(platform: Platform): Api {
  return async (method, path, credential, body, headers = {}) => {
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
  };
}

/** An access token for a user, by password, from the platform's identity provider. */
export async function loginTo(platform: Platform, username: string, password: string): Promise<string> {
  const response = await fetch(`${platform.issuerBaseUrl}/realms/parley/protocol/openid-connect/token`, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'password', client_id: 'parley-cli', username, password }),
  });
  const body = (await response.json()) as { access_token?: string };
  if (!body.access_token) throw new Error('login failed');
  return body.access_token;
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
