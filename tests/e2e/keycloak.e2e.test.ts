import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { decodeJwt } from 'jose';
import { freePort } from '../../tools/dev/src/ports';
import { describeWhenAvailable, devCredentials, launch, untilReady, type Launch } from '../support/launcher';
import {
  adminToken,
  keycloakUnavailableReason,
  startKeycloak,
  type KeycloakServer,
} from '../support/keycloak';

/**
 * The whole identity flow against a real Keycloak: the platform (through the npm start launcher) provisions
 * tenants, users and partner clients in Keycloak, and the gateway verifies Keycloak's own tokens.
 */
const unavailable = keycloakUnavailableReason();
const describeWithKeycloak = describeWhenAvailable('the Keycloak suite', unavailable);

const home = mkdtempSync(join(tmpdir(), 'parley-kc-e2e-'));

describeWithKeycloak('identity against a real Keycloak', () => {
  let keycloak: KeycloakServer;
  let launcher: Launch | undefined;
  let gateway = '';
  let adminKey = '';
  /** The first owner key of each tenant the first test creates. */
  const ownerKeys = new Map<string, string>();
  const ownerKey = (tenantId: string) => {
    const key = ownerKeys.get(tenantId);
    if (!key) throw new Error(`no owner key for ${tenantId}: the provisioning test must run first`);
    return key;
  };

  async function api(method: string, path: string, credential?: string, body?: unknown) {
    const response = await fetch(`${gateway}${path}`, {
      method,
      headers: {
        ...(credential ? { authorization: `Bearer ${credential}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  async function keycloakAdmin(path: string) {
    const response = await fetch(`${keycloak.url}/admin/realms${path}`, {
      headers: { authorization: `Bearer ${await adminToken(keycloak)}` },
    });
    return { status: response.status, body: (await response.json()) as unknown };
  }

  async function grant(realm: string, form: Record<string, string>) {
    const response = await fetch(`${keycloak.url}/realms/${realm}/protocol/openid-connect/token`, {
      method: 'POST',
      body: new URLSearchParams(form),
    });
    return {
      status: response.status,
      body: (await response.json()) as { access_token?: string; refresh_token?: string; error?: string },
    };
  }

  beforeAll(async () => {
    keycloak = await startKeycloak({ timeoutMs: 280_000 });
    const port = await freePort();
    launcher = launch(home, {
      PORT: String(port),
      KEYCLOAK_URL: keycloak.url,
      KEYCLOAK_ADMIN_USERNAME: keycloak.adminUsername,
      KEYCLOAK_ADMIN_PASSWORD: keycloak.adminPassword,
    });
    await untilReady(launcher, 120_000);
    const dev = devCredentials(home);
    gateway = dev.gatewayUrl;
    adminKey = dev.adminApiKey;
  }, 420_000);

  afterAll(async () => {
    if (launcher && launcher.child.exitCode === null) {
      launcher.child.kill('SIGINT');
      await launcher.exited;
    }
    await keycloak?.stop();
    rmSync(home, { recursive: true, force: true });
  }, 60_000);

  it('provisions a pooled tenant as an organization and a dedicated one as its own realm', async () => {
    const pooled = await api('POST', '/v1/tenants', adminKey, {
      id: 'acme',
      name: 'Acme',
      tenancyMode: 'pooled',
      jurisdiction: 'gdpr',
    });
    expect(pooled).toMatchObject({
      status: 201,
      body: { tenant: { id: 'acme', realm: 'parley', status: 'active' } },
    });
    ownerKeys.set('acme', String(pooled.body.apiKey));
    const organizations = (await keycloakAdmin('/parley/organizations?q=tenant_id:acme')).body as {
      alias: string;
    }[];
    expect(organizations.map((organization) => organization.alias)).toEqual(['acme']);

    const dedicated = await api('POST', '/v1/tenants', adminKey, {
      id: 'bigco',
      name: 'BigCo',
      tenancyMode: 'dedicated',
      jurisdiction: 'ccpa',
    });
    expect(dedicated).toMatchObject({ status: 201, body: { tenant: { realm: 'tenant-bigco' } } });
    ownerKeys.set('bigco', String(dedicated.body.apiKey));
    const realm = (await keycloakAdmin('/tenant-bigco')).body as { realm: string; enabled: boolean };
    expect(realm).toMatchObject({ realm: 'tenant-bigco', enabled: true });
    const roles = ((await keycloakAdmin('/tenant-bigco/roles')).body as { name: string }[]).map(
      (role) => role.name,
    );
    expect(roles).toEqual(
      expect.arrayContaining([
        'owner',
        'admin',
        'developer',
        'billing',
        'privacy_officer',
        'support',
        'member',
      ]),
    );
  });

  it("creates a user, whose Keycloak token the gateway accepts for that user's tenant", async () => {
    const acmeKey = ownerKey('acme');
    const created = await api('POST', '/v1/accounts', acmeKey, {
      fullName: 'Jane Roe',
      email: 'jane@acme.example',
      ageAttested: true,
      password: 'correct horse battery staple',
      roles: ['developer'],
    });
    expect(created.status).toBe(201);
    const users = (await keycloakAdmin('/parley/users?username=jane@acme.example&exact=true')).body as {
      attributes?: Record<string, string[]>;
    }[];
    expect(users[0]?.attributes?.tenant_id).toEqual(['acme']);

    const login = await grant('parley', {
      grant_type: 'password',
      client_id: 'parley-cli',
      username: 'jane@acme.example',
      password: 'correct horse battery staple',
    });
    expect(login.status).toBe(200);
    const token = login.body.access_token!;
    expect(decodeJwt(token)).toMatchObject({ tenant_id: 'acme', iss: `${keycloak.url}/realms/parley` });
    expect(await api('GET', '/v1/accounts/me', token)).toMatchObject({
      status: 200,
      body: { email: 'jane@acme.example', roles: ['developer'] },
    });
    expect((await api('GET', '/v1/tenant', token)).body).toMatchObject({ id: 'acme' });
    // A developer may not manage users.
    expect((await api('GET', '/v1/users', token)).body).toMatchObject({ status: 403, code: 'SCOPE_MISSING' });
  });

  it("ends a closed account's Keycloak sessions, and the gateway refuses its access token with 401", async () => {
    const acmeKey = ownerKey('acme');
    const password = 'leaving soon, long password';
    const created = await api('POST', '/v1/accounts', acmeKey, {
      fullName: 'Leo Leaving',
      email: 'leo@acme.example',
      ageAttested: true,
      password,
    });
    expect(created.status).toBe(201);
    const login = await grant('parley', {
      grant_type: 'password',
      client_id: 'parley-cli',
      username: 'leo@acme.example',
      password,
    });
    const token = login.body.access_token!;
    const userId = String(decodeJwt(token).sub);
    expect((await api('GET', '/v1/accounts/me', token)).status).toBe(200);
    expect(((await keycloakAdmin(`/parley/users/${userId}/sessions`)).body as unknown[]).length).toBe(1);

    const closed = await api('POST', `/v1/accounts/${String(created.body.id)}/close`, acmeKey);
    expect(closed.status).toBe(200);
    expect((await keycloakAdmin(`/parley/users/${userId}/sessions`)).body).toEqual([]);
    const refreshed = await grant('parley', {
      grant_type: 'refresh_token',
      client_id: 'parley-cli',
      refresh_token: login.body.refresh_token!,
    });
    expect(refreshed.status).toBe(400);
    // The access token Keycloak issued before is still unexpired: the gateway refuses it all the same.
    const deadline = Date.now() + 30_000;
    let me = await api('GET', '/v1/accounts/me', token);
    while (me.status === 200 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      me = await api('GET', '/v1/accounts/me', token);
    }
    expect(me.body).toMatchObject({ status: 401, code: 'TOKEN_ACCOUNT_CLOSED' });
  });

  it('creates, uses and revokes an API key: 401 at once after revocation', async () => {
    const acmeKey = ownerKey('acme');
    const created = await api('POST', '/v1/api-keys', acmeKey, { name: 'partner', scopes: ['numbers:read'] });
    expect(created.status).toBe(201);
    const key = String(created.body.apiKey);
    expect((await api('GET', '/v1/numbers', key)).status).toBe(200);
    await api('DELETE', `/v1/api-keys/${String(created.body.id)}`, acmeKey);
    expect((await api('GET', '/v1/numbers', key)).body).toMatchObject({
      status: 401,
      code: 'API_KEY_REVOKED',
    });
  });

  it('gives a partner a client-credentials client in Keycloak, until it is revoked', async () => {
    const acmeKey = ownerKey('acme');
    const created = await api('POST', '/v1/oauth-clients', acmeKey, {
      name: 'CRM sync',
      scopes: ['numbers:read'],
    });
    expect(created.status).toBe(201);
    const form = {
      grant_type: 'client_credentials',
      client_id: String(created.body.clientId),
      client_secret: String(created.body.clientSecret),
    };
    const token = (await grant('parley', form)).body.access_token!;
    expect(decodeJwt(token)).toMatchObject({ tenant_id: 'acme', parley_scopes: 'numbers:read' });
    expect((await api('GET', '/v1/numbers', token)).status).toBe(200);
    expect((await api('GET', '/v1/accounts', token)).status).toBe(403);
    await api('DELETE', `/v1/oauth-clients/${String(created.body.id)}`, acmeKey);
    expect((await grant('parley', form)).status).toBe(401);
  });

  it("accepts a dedicated tenant's own realm, and refuses other realms and wrong audiences", async () => {
    const bigcoKey = ownerKey('bigco');
    await api('POST', '/v1/accounts', bigcoKey, {
      fullName: 'Bo',
      email: 'bo@bigco.example',
      ageAttested: true,
      password: 'another long password',
    });
    const login = await grant('tenant-bigco', {
      grant_type: 'password',
      client_id: 'parley-cli',
      username: 'bo@bigco.example',
      password: 'another long password',
    });
    expect((await api('GET', '/v1/accounts/me', login.body.access_token)).body).toMatchObject({
      email: 'bo@bigco.example',
    });

    const master = await grant('master', {
      grant_type: 'password',
      client_id: 'admin-cli',
      username: keycloak.adminUsername,
      password: keycloak.adminPassword,
    });
    expect((await api('GET', '/v1/tenant', master.body.access_token)).body).toMatchObject({
      status: 401,
      code: 'TOKEN_ISSUER_UNTRUSTED',
    });

    // A client in the right realm but without the parley-api audience.
    const kcAdmin = await adminToken(keycloak);
    await fetch(`${keycloak.url}/admin/realms/parley/clients`, {
      method: 'POST',
      headers: { authorization: `Bearer ${kcAdmin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ clientId: 'no-audience', publicClient: true, directAccessGrantsEnabled: true }),
    });
    const wrongAudience = await grant('parley', {
      grant_type: 'password',
      client_id: 'no-audience',
      username: 'jane@acme.example',
      password: 'correct horse battery staple',
    });
    expect(wrongAudience.status).toBe(200);
    expect((await api('GET', '/v1/tenant', wrongAudience.body.access_token)).body).toMatchObject({
      status: 401,
      code: 'TOKEN_AUDIENCE_INVALID',
    });
  });
});
