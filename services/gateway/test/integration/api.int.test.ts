import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'drizzle-orm';
import { generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import { withTenant } from '@parley/kit';
import { eventsV1, identityV1 } from '@parley/proto';
import { eventually } from '../../../../tests/support/grpc';
import { platformOperator, startPlatform, type Platform } from '../../../../tests/support/platform';
import { PlanRepository } from '../../../billing/src/db/plans';
import { UsageRepository } from '../../../billing/src/db/usage';
import { versionAt } from '../../../billing/src/domain/plans';
import { rateOutboundMessage } from '../../../billing/src/domain/rating';
import { pdfText } from '../../../billing/test/support/pdfText';

interface Answer {
  status: number;
  type: string;
  headers: Headers;
  body: Record<string, unknown>;
}

describe('gateway REST API', () => {
  let platform: Platform;
  let identity: identityV1.IdentityServiceClient;
  let adminKey = '';
  const keys: Record<string, string> = {};

  async function request(
    method: string,
    path: string,
    options: { key?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {},
  ): Promise<Answer> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.key) headers.authorization = `Bearer ${options.key}`;
    if (options.body !== undefined || options.raw !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${platform.baseUrl}${path}`, {
      method,
      headers,
      body: options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
    });
    return {
      status: response.status,
      type: response.headers.get('content-type') ?? '',
      headers: response.headers,
      body: (await response.json()) as Record<string, unknown>,
    };
  }

  const tokenUrl = () => `${platform.issuerBaseUrl}/realms/parley/protocol/openid-connect/token`;

  async function login(username: string, password: string): Promise<string> {
    const response = await fetch(tokenUrl(), {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'password', client_id: 'parley-cli', username, password }),
    });
    const body = (await response.json()) as { access_token?: string };
    if (!body.access_token) throw new Error(`login failed: ${JSON.stringify(body)}`);
    return body.access_token;
  }

  /** Signs a token with the embedded provider's own key, with claims a test chooses. */
  async function mint(
    claims: Record<string, unknown>,
    options: { issuer?: string; audience?: string; expiresIn?: string } = {},
  ) {
    const stored = await platform.identity.app.runtime.db.execute<{ kid: string; private_jwk: JWK }>(
      sql`select kid, private_jwk from dev_idp.signing_keys limit 1`,
    );
    const row = stored.rows[0]!;
    return new SignJWT({ tenant_id: 'tenant-a', realm_access: { roles: ['owner'] }, ...claims })
      .setProtectedHeader({ alg: 'RS256', kid: row.kid })
      .setIssuer(options.issuer ?? `${platform.issuerBaseUrl}/realms/parley`)
      .setAudience(options.audience ?? 'parley-api')
      .setSubject('mallory')
      .setIssuedAt()
      .setExpirationTime(options.expiresIn ?? '5m')
      .sign(await importJWK(row.private_jwk, 'RS256'));
  }

  beforeAll(async () => {
    platform = await startPlatform();
    ({ identity, adminKey } = await platformOperator(platform));
    for (const id of ['tenant-a', 'tenant-b']) {
      const created = await request('POST', '/v1/tenants', {
        key: adminKey,
        body: { id, name: `Tenant ${id}`, tenancyMode: 'pooled', jurisdiction: 'uk_gdpr' },
      });
      expect(created.status).toBe(201);
      keys[id] = String(created.body.apiKey);
    }
    keys.numbersOnly = String(
      (
        await request('POST', '/v1/api-keys', {
          key: keys['tenant-a'],
          body: { name: 'narrow', scopes: ['numbers:write'] },
        })
      ).body.apiKey,
    );
  }, 120_000);

  afterAll(async () => {
    identity?.close();
    await platform?.stop();
  });

  describe('GET /healthz and /readyz', () => {
    it('answers alive, and ready with every service SERVING', async () => {
      expect((await request('GET', '/healthz')).body).toEqual({ status: 'ok' });
      const ready = await request('GET', '/readyz');
      expect(ready.status).toBe(200);
      expect(ready.body).toEqual({
        status: 'ready',
        services: {
          identity: 'SERVING',
          numbering: 'SERVING',
          messaging: 'SERVING',
          billing: 'SERVING',
          privacy: 'SERVING',
        },
      });
    });
  });

  describe('GET /v1/openapi.json', () => {
    it('documents every route, with scopes, problem responses and the bearer scheme', async () => {
      const { status, body } = await request('GET', '/v1/openapi.json');
      expect(status).toBe(200);
      expect(body.openapi).toBe('3.1.0');
      const paths = body.paths as Record<
        string,
        Record<string, { security?: unknown[]; responses: Record<string, unknown>; description?: string }>
      >;
      expect(Object.keys(paths)).toEqual(
        expect.arrayContaining([
          '/v1/tenants',
          '/v1/tenants/{id}',
          '/v1/accounts',
          '/v1/accounts/me',
          '/v1/accounts/{id}',
          '/v1/accounts/{id}/close',
          '/v1/users',
          '/v1/users/{id}/roles',
          '/v1/api-keys',
          '/v1/api-keys/{id}',
          '/v1/oauth-clients',
          '/v1/oauth-clients/{id}',
        ]),
      );
      const listNumbers = paths['/v1/numbers']!.get!;
      expect(listNumbers.security).toEqual([{ bearerAuth: [] }]);
      expect(Object.keys(listNumbers.responses).sort()).toEqual([
        '200',
        '400',
        '401',
        '403',
        '429',
        '431',
        '500',
        '503',
        '504',
      ]);
      expect(paths['/v1/tenants']!.post!.description).toContain('Requires scope `platform:admin`');
      const search = paths['/v1/available-numbers']!.get!.responses['503'] as {
        headers?: Record<string, unknown>;
      };
      expect(Object.keys(search.headers ?? {})).toContain('Retry-After');
      expect(Object.keys(paths['/v1/numbers']!.post!.responses).sort()).toEqual(
        expect.arrayContaining(['202', '409', '422']),
      );
      expect((body.components as { schemas: Record<string, unknown> }).schemas.Account).toBeDefined();
    });
  });

  describe('tenants (platform admin)', () => {
    it('answers 200 without a key on a repeat, and 403 to a tenant key', async () => {
      const again = await request('POST', '/v1/tenants', {
        key: adminKey,
        body: { id: 'tenant-a', name: 'Tenant tenant-a', tenancyMode: 'pooled', jurisdiction: 'uk_gdpr' },
      });
      expect(again.status).toBe(200);
      expect(again.body).not.toHaveProperty('apiKey');
      const listed = await request('GET', '/v1/tenants?pageSize=100', { key: adminKey });
      expect((listed.body.tenants as { id: string }[]).map((t) => t.id)).toEqual(
        expect.arrayContaining(['tenant-a', 'tenant-b']),
      );
      expect((await request('GET', '/v1/tenants', { key: keys['tenant-a'] })).body).toMatchObject({
        status: 403,
        code: 'SCOPE_MISSING',
      });
      expect(
        (
          await request('POST', '/v1/tenants', {
            key: adminKey,
            body: { id: 'Bad', name: '', tenancyMode: 'x' },
          })
        ).status,
      ).toBe(400);
    });
  });

  describe('closing a tenant (platform admin)', () => {
    it("refuses the tenant's keys and users' tokens afterwards (401 TENANT_INACTIVE); closing again answers the first closing", async () => {
      const created = await request('POST', '/v1/tenants', {
        key: adminKey,
        body: { id: 'leaving-co', name: 'Leaving Co', tenancyMode: 'pooled', jurisdiction: 'gdpr' },
      });
      const key = String(created.body.apiKey);
      // The provider makes its signing key when first asked for it.
      await fetch(`${platform.issuerBaseUrl}/realms/parley/protocol/openid-connect/certs`);
      const token = await mint({ tenant_id: 'leaving-co' });
      const clientToken = await mint({ tenant_id: 'leaving-co', azp: 'crm', parley_scopes: 'tenant:read' });
      for (const credential of [key, token, clientToken])
        expect((await request('GET', '/v1/tenant', { key: credential })).status).toBe(200);

      expect(await request('POST', '/v1/admin/tenants/leaving-co/close', { key })).toMatchObject({
        status: 403,
        body: { code: 'SCOPE_MISSING' },
      });
      expect(await request('POST', '/v1/admin/tenants/no-such-co/close', { key: adminKey })).toMatchObject({
        status: 404,
        body: { code: 'TENANT_NOT_FOUND' },
      });
      expect(await request('POST', '/v1/admin/tenants/platform/close', { key: adminKey })).toMatchObject({
        status: 422,
        body: { code: 'TENANT_NOT_CLOSABLE' },
      });
      const closed = await request('POST', '/v1/admin/tenants/leaving-co/close', { key: adminKey });
      expect(closed).toMatchObject({
        status: 200,
        body: { tenant: { id: 'leaving-co', status: 'closed' }, closedAt: expect.any(String) },
      });
      const again = await request('POST', '/v1/admin/tenants/leaving-co/close', { key: adminKey });
      expect(again.body.closedAt).toBe(closed.body.closedAt);

      expect((await request('GET', '/v1/tenant', { key })).body).toMatchObject({
        status: 401,
        code: 'TENANT_INACTIVE',
      });
      // Every replica asks identity about a user, and keeps the answer a few seconds.
      for (const credential of [token, clientToken]) {
        const refused = await eventually("the closed tenant's user and client to be refused", async () => {
          const answer = await request('GET', '/v1/tenant', { key: credential });
          if (answer.status === 200) throw new Error('still accepted');
          return answer;
        });
        expect(refused.body).toMatchObject({ status: 401, code: 'TENANT_INACTIVE' });
      }
      // Other tenants carry on.
      expect((await request('GET', '/v1/tenant', { key: keys['tenant-a'] })).status).toBe(200);
    });
  });

  describe('API keys', () => {
    it('answers 401 problem+json without credentials, naming the scheme', async () => {
      const answer = await request('GET', '/v1/tenant');
      expect(answer.status).toBe(401);
      expect(answer.type).toContain('application/problem+json');
      expect(answer.headers.get('www-authenticate')).toBe('Bearer realm="parley"');
      expect(answer.body).toMatchObject({
        status: 401,
        code: 'AUTHENTICATION_REQUIRED',
        instance: '/v1/tenant',
      });
      expect((await request('GET', '/v1/tenant', { key: 'gibberish' })).body).toMatchObject({
        status: 401,
        code: 'CREDENTIAL_INVALID',
      });
    });

    it('answers 401 at once for a revoked or expired key', async () => {
      const created = await request('POST', '/v1/api-keys', {
        key: keys['tenant-a'],
        body: { name: 'doomed', scopes: ['tenant:read'] },
      });
      const doomed = String(created.body.apiKey);
      expect((await request('GET', '/v1/tenant', { key: doomed })).status).toBe(200);
      expect(
        (await request('DELETE', `/v1/api-keys/${String(created.body.id)}`, { key: keys['tenant-a'] })).body,
      ).toMatchObject({
        id: created.body.id,
        revokedAt: expect.any(String),
      });
      expect((await request('GET', '/v1/tenant', { key: doomed })).body).toMatchObject({
        status: 401,
        code: 'API_KEY_REVOKED',
      });

      const expiring = await request('POST', '/v1/api-keys', {
        key: keys['tenant-a'],
        body: {
          name: 'brief',
          scopes: ['tenant:read'],
          expiresAt: new Date(Date.now() + 1500).toISOString(),
        },
      });
      expect((await request('GET', '/v1/tenant', { key: String(expiring.body.apiKey) })).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 1600));
      expect((await request('GET', '/v1/tenant', { key: String(expiring.body.apiKey) })).body).toMatchObject({
        status: 401,
        code: 'API_KEY_EXPIRED',
      });
    });

    it('answers 403 when the key lacks the scope, and lets a write scope read', async () => {
      expect((await request('GET', '/v1/balance', { key: keys.numbersOnly })).body).toMatchObject({
        status: 403,
        code: 'SCOPE_MISSING',
      });
      expect((await request('GET', '/v1/numbers', { key: keys.numbersOnly })).status).toBe(200);
      expect(
        (await request('POST', '/v1/api-keys', { key: keys.numbersOnly, body: { name: 'x', scopes: ['*'] } }))
          .status,
      ).toBe(403);
    });

    it('lists without secrets, and answers 400 naming each bad field with nothing written', async () => {
      const listed = await request('GET', '/v1/api-keys', { key: keys['tenant-a'] });
      expect(JSON.stringify(listed.body)).not.toContain(keys['tenant-a']!.slice(-32));
      const before = (listed.body.apiKeys as unknown[]).length;
      const answer = await request('POST', '/v1/api-keys', {
        key: keys['tenant-a'],
        body: { name: '', scopes: ['everything'], expiresAt: 'tomorrow', extra: true },
      });
      expect(answer.body.code).toBe('VALIDATION_FAILED');
      expect((answer.body.errors as { field: string }[]).map((error) => error.field).sort()).toEqual(
        ['(body)', 'expiresAt', 'name', 'scopes.0'].sort(),
      );
      expect(
        (await request('POST', '/v1/api-keys', { key: keys['tenant-a'], raw: '{"name":' })).body,
      ).toMatchObject({ status: 400, code: 'BODY_NOT_JSON' });
      expect(
        ((await request('GET', '/v1/api-keys', { key: keys['tenant-a'] })).body.apiKeys as unknown[]).length,
      ).toBe(before);
    });
  });

  describe('accounts and users', () => {
    let janeId = '';

    it('signs up an account with its sign-up IP and user agent', async () => {
      const created = await request('POST', '/v1/accounts', {
        key: keys['tenant-a'],
        headers: { 'user-agent': 'PartnerApp/2.1' },
        body: {
          fullName: 'Jane Roe',
          email: 'jane@example.com',
          phone: '+447911123456',
          companyName: 'Roe Ltd',
          companyLocation: 'London',
          companyUrl: 'https://roe.example.com',
          address: { street: '1 High St', city: 'London', postalCode: 'N1 9GU', country: 'GB' },
          timeZone: 'Europe/London',
          outgoingCallerId: '+447911123457',
          dateOfBirth: '1990-05-01',
          password: 'correct horse battery staple',
        },
      });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({
        email: 'jane@example.com',
        roles: ['member'],
        signupUserAgent: 'PartnerApp/2.1',
        address: { state: '', country: 'GB' },
      });
      expect(created.body.signupIp).toMatch(/127\.0\.0\.1/);
      janeId = String(created.body.id);
    });

    it('answers 400 naming the field for a bad phone, email, time zone or an under-age holder, and writes nothing', async () => {
      const cases: [Record<string, unknown>, string, string][] = [
        [{ phone: '555-CALL-NOW' }, 'ACCOUNT_INVALID', 'phone'],
        [{ email: 'not-an-email' }, 'ACCOUNT_INVALID', 'email'],
        [{ timeZone: 'Europe/Atlantis' }, 'ACCOUNT_INVALID', 'timeZone'],
        [
          { dateOfBirth: new Date(Date.now() - 10 * 365.25 * 86_400_000).toISOString().slice(0, 10) },
          'UNDER_MINIMUM_AGE',
          'dateOfBirth',
        ],
      ];
      for (const [field, code, name] of cases) {
        const answer = await request('POST', '/v1/accounts', {
          key: keys['tenant-a'],
          body: { fullName: 'Someone', email: 'someone@example.com', ageAttested: true, ...field },
        });
        expect({
          status: answer.status,
          code: answer.body.code,
          fields: (answer.body.errors as { field: string }[]).map((e) => e.field),
        }).toEqual({
          status: 400,
          code,
          fields: [name],
        });
      }
      const users = await request('GET', '/v1/users', { key: keys['tenant-a'] });
      expect((users.body.users as { email: string }[]).map((user) => user.email)).not.toContain(
        'someone@example.com',
      );
    });

    it('lets the user log in with a token, see and change their own profile, and records the login', async () => {
      const token = await login('jane@example.com', 'correct horse battery staple');
      const me = await request('GET', '/v1/accounts/me', {
        key: token,
        headers: { 'user-agent': 'JaneBrowser/1.0' },
      });
      expect(me.body).toMatchObject({ id: janeId, fullName: 'Jane Roe' });
      const changed = await request('PATCH', '/v1/accounts/me', {
        key: token,
        body: { fullName: 'Jane Q. Roe', companyName: null },
      });
      expect(changed.body).toMatchObject({
        fullName: 'Jane Q. Roe',
        companyName: null,
        phone: '+447911123456',
      });
      const recorded = await eventually('the login to be recorded', async () => {
        const answer = await request('GET', `/v1/accounts/${janeId}`, { key: keys['tenant-a'] });
        if (!answer.body.lastLoginAt) throw new Error('not yet');
        return answer.body;
      });
      expect(recorded).toMatchObject({ lastLoginUserAgent: 'JaneBrowser/1.0' });
      // A member's token reaches only what a member may do.
      expect((await request('GET', '/v1/accounts', { key: token })).body).toMatchObject({
        status: 403,
        code: 'SCOPE_MISSING',
      });
      expect((await request('GET', `/v1/accounts/${janeId}`, { key: token })).status).toBe(403);
      expect((await request('GET', '/v1/tenant', { key: token })).body).toMatchObject({ id: 'tenant-a' });
    });

    it('gives roles through the API, and the next login carries them', async () => {
      const set = await request('PUT', `/v1/users/${janeId}/roles`, {
        key: keys['tenant-a'],
        body: { roles: ['support'] },
      });
      expect(set.body).toMatchObject({ roles: ['support'] });
      const token = await login('jane@example.com', 'correct horse battery staple');
      expect((await request('GET', '/v1/accounts', { key: token })).status).toBe(200);
      expect((await request('POST', '/v1/accounts', { key: token, body: {} })).status).toBe(403);
      expect(
        (
          await request('PUT', `/v1/users/${janeId}/roles`, {
            key: keys['tenant-a'],
            body: { roles: ['root'] },
          })
        ).status,
      ).toBe(400);
    });

    it("never shows one tenant another's accounts, users or keys", async () => {
      expect((await request('GET', `/v1/accounts/${janeId}`, { key: keys['tenant-b'] })).body).toMatchObject({
        status: 404,
        code: 'ACCOUNT_NOT_FOUND',
      });
      expect(
        (await request('PATCH', `/v1/accounts/${janeId}`, { key: keys['tenant-b'], body: { fullName: 'X' } }))
          .status,
      ).toBe(404);
      expect((await request('GET', '/v1/users', { key: keys['tenant-b'] })).body).toEqual({
        users: [],
        nextPageToken: '',
      });
      const keyOfA = (
        (await request('GET', '/v1/api-keys', { key: keys['tenant-a'] })).body.apiKeys as { id: string }[]
      )[0]!.id;
      expect(
        (await request('DELETE', `/v1/api-keys/${keyOfA}`, { key: keys['tenant-b'] })).body,
      ).toMatchObject({ status: 404 });
      expect(
        (
          (await request('GET', '/v1/api-keys', { key: keys['tenant-b'] })).body.apiKeys as { id: string }[]
        ).map((k) => k.id),
      ).not.toContain(keyOfA);
    });

    it('closes an account: 200 with closedAt, and the user can no longer log in', async () => {
      const closed = await request('POST', `/v1/accounts/${janeId}/close`, { key: keys['tenant-a'] });
      expect(closed.body).toMatchObject({ status: 'closed', closedAt: expect.any(String) });
      await expect(login('jane@example.com', 'correct horse battery staple')).rejects.toThrow(/login failed/);
    });
  });

  describe('access tokens', () => {
    it('answers 401 for a token from an untrusted realm, for the wrong audience, expired, or forged', async () => {
      // A dedicated tenant's realm may speak only for that tenant.
      const dedicated = await request('POST', '/v1/tenants', {
        key: adminKey,
        body: { id: 'dedi', name: 'Dedicated', tenancyMode: 'dedicated', jurisdiction: 'gdpr' },
      });
      expect(dedicated.body).toMatchObject({ tenant: { realm: 'tenant-dedi' } });

      expect((await request('GET', '/v1/tenant', { key: await mint({}) })).status).toBe(200);
      const cases: [string, string][] = [
        [await mint({}, { issuer: `${platform.issuerBaseUrl}/realms/other` }), 'TOKEN_ISSUER_UNTRUSTED'],
        [await mint({}, { issuer: 'https://evil.example.com/realms/parley' }), 'TOKEN_ISSUER_UNTRUSTED'],
        [await mint({}, { audience: 'some-other-api' }), 'TOKEN_AUDIENCE_INVALID'],
        [await mint({}, { expiresIn: '-1m' }), 'TOKEN_EXPIRED'],
        [await mint({ tenant_id: undefined }), 'TOKEN_TENANT_MISSING'],
        [
          await mint({ tenant_id: 'tenant-a' }, { issuer: `${platform.issuerBaseUrl}/realms/tenant-dedi` }),
          'TOKEN_TENANT_MISMATCH',
        ],
      ];
      for (const [token, code] of cases) {
        expect({ code, answer: (await request('GET', '/v1/tenant', { key: token })).body }).toMatchObject({
          code,
          answer: { status: 401, code },
        });
      }
      const { privateKey } = await generateKeyPair('RS256');
      const forged = await new SignJWT({ tenant_id: 'tenant-a', realm_access: { roles: ['owner'] } })
        .setProtectedHeader({ alg: 'RS256', kid: 'forged' })
        .setIssuer(`${platform.issuerBaseUrl}/realms/parley`)
        .setAudience('parley-api')
        .setSubject('mallory')
        .setExpirationTime('5m')
        .sign(privateKey);
      expect((await request('GET', '/v1/tenant', { key: forged })).body).toMatchObject({
        status: 401,
        code: 'TOKEN_INVALID',
      });
    });
  });

  describe('access tokens of a closed account', () => {
    it('answers 401 TOKEN_ACCOUNT_CLOSED to a token issued before the account was closed, /v1/accounts/me too', async () => {
      const password = 'closing-long-password-1';
      const account = await request('POST', '/v1/accounts', {
        key: keys['tenant-a'],
        body: { fullName: 'Leaving Person', email: 'leaving@example.com', ageAttested: true, password },
      });
      expect(account.status).toBe(201);
      const token = await login('leaving@example.com', password);
      expect((await request('GET', '/v1/accounts/me', { key: token })).status).toBe(200);
      const closed = await request('POST', `/v1/accounts/${String(account.body.id)}/close`, {
        key: keys['tenant-a'],
      });
      expect(closed.status).toBe(200);
      // Every replica asks identity, whose answer it keeps a few seconds: the token stops within them.
      const refused = await eventually("the closed account's token to be refused", async () => {
        const answer = await request('GET', '/v1/accounts/me', { key: token });
        if (answer.status === 200) throw new Error('still accepted');
        return answer;
      });
      expect(refused.body).toMatchObject({ status: 401, code: 'TOKEN_ACCOUNT_CLOSED' });
      expect((await request('GET', '/v1/tenant', { key: token })).status).toBe(401);
      // Someone else's token of the same tenant still works.
      expect((await request('GET', '/v1/tenant', { key: await mint({}) })).status).toBe(200);
    });
  });

  describe('OAuth clients (client credentials)', () => {
    it('creates a client whose tokens carry its scopes, and revoking it stops new tokens', async () => {
      const created = await request('POST', '/v1/oauth-clients', {
        key: keys['tenant-a'],
        body: { name: 'CRM sync', scopes: ['numbers:read'] },
      });
      expect(created.status).toBe(201);
      const grant = async () => {
        const response = await fetch(String(created.body.tokenUrl), {
          method: 'POST',
          headers: {
            authorization: `Basic ${Buffer.from(`${String(created.body.clientId)}:${String(created.body.clientSecret)}`).toString('base64')}`,
          },
          body: new URLSearchParams({ grant_type: 'client_credentials' }),
        });
        return { status: response.status, body: (await response.json()) as { access_token?: string } };
      };
      const { body } = await grant();
      expect((await request('GET', '/v1/numbers', { key: body.access_token })).status).toBe(200);
      expect((await request('GET', '/v1/accounts', { key: body.access_token })).body).toMatchObject({
        status: 403,
      });
      expect((await request('GET', '/v1/oauth-clients', { key: keys['tenant-b'] })).body).toEqual({
        clients: [],
      });
      expect(
        (await request('DELETE', `/v1/oauth-clients/${String(created.body.id)}`, { key: keys['tenant-a'] }))
          .body,
      ).toMatchObject({
        revokedAt: expect.any(String),
      });
      expect((await grant()).status).toBe(401);
    });
  });

  describe('tenant walls at the API', () => {
    it("shows each key only its own tenant's numbers, and reaches every service as the caller", async () => {
      await withTenant(platform.backends.numbering.app.runtime.db, 'tenant-b', (tx) =>
        tx.execute(
          sql`insert into numbers (tenant_id, e164, country) values ('tenant-b', '+447700900123', 'GB')`,
        ),
      );
      expect((await request('GET', '/v1/numbers', { key: keys['tenant-a'] })).body).toEqual({
        numbers: [],
        nextPageToken: '',
      });
      expect(
        (
          (await request('GET', '/v1/numbers', { key: keys['tenant-b'] })).body.numbers as { e164: string }[]
        ).map((n) => n.e164),
      ).toEqual(['+447700900123']);
      const balance = await eventually('billing to open the account', async () => {
        const answer = await request('GET', '/v1/balance', { key: keys['tenant-a'] });
        if (answer.status !== 200) throw new Error(JSON.stringify(answer.body));
        return answer.body;
      });
      expect(balance).toMatchObject({ currency: 'USD', balanceMinor: '0' });
      expect((await request('GET', '/v1/messages', { key: keys['tenant-a'] })).body).toEqual({
        messages: [],
        nextPageToken: '',
      });
      expect((await request('GET', '/v1/privacy/requests', { key: keys['tenant-a'] })).body).toEqual({
        requests: [],
        nextPageToken: '',
      });
    });
  });

  describe('billing at the API', () => {
    const prices = {
      smsOutboundPerSegment: { defaultPrice: '0.00205', byCountry: { GB: '0.04' } },
      mmsOutboundPerMessage: { defaultPrice: '0.02', byCountry: {} },
      inboundMessage: '0.0079',
      numbers: [
        { numberType: 'local', country: '*', setup: '0', monthly: '1.15' },
        { numberType: 'mobile', country: '*', setup: '0', monthly: '1.15' },
        { numberType: 'toll_free', country: '*', setup: '0', monthly: '2.15' },
      ],
      callInboundPerMinute: '0.0085',
      callOutboundPerMinute: '0.014',
      callRounding: 'per_second',
      taxPercent: { defaultPrice: '0', byCountry: { DE: '19' } },
      proRataFirstMonth: true,
    };

    it('lets operators manage plans and tenants read their own, wallet and usage', async () => {
      await eventually('billing to open the account', async () => {
        const answer = await request('GET', '/v1/balance', { key: keys['tenant-a'] });
        if (answer.status !== 200) throw new Error(JSON.stringify(answer.body));
      });
      expect((await request('GET', '/v1/plan', { key: keys['tenant-a'] })).body).toMatchObject({
        id: 'standard',
        currency: 'USD',
        versions: [{ version: 1, prices: { callRounding: 'per_started_minute' } }],
      });
      expect((await request('GET', '/v1/admin/plans', { key: keys['tenant-a'] })).status).toBe(403);

      const bad = await request('POST', '/v1/admin/plans', {
        key: adminKey,
        body: { id: 'cheap', name: 'Cheap', currency: 'USD', prices: { ...prices, numbers: [] } },
      });
      expect(bad).toMatchObject({ status: 400, body: { code: 'PLAN_PRICES_INVALID' } });
      const created = await request('POST', '/v1/admin/plans', {
        key: adminKey,
        body: { id: 'cheap', name: 'Cheap', currency: 'USD', prices },
      });
      expect(created).toMatchObject({
        status: 201,
        body: { id: 'cheap', versions: [{ version: 1, prices }] },
      });
      expect(
        (
          await request('POST', '/v1/admin/plans/cheap/versions', {
            key: adminKey,
            body: { prices, effectiveFrom: '2020-01-01T00:00:00Z' },
          })
        ).body,
      ).toMatchObject({ code: 'EFFECTIVE_FROM_IN_PAST' });
      expect(
        await request('PUT', '/v1/admin/tenants/tenant-a/plan', { key: adminKey, body: { planId: 'cheap' } }),
      ).toMatchObject({ status: 200, body: { tenantId: 'tenant-a', planId: 'cheap' } });
      expect((await request('GET', '/v1/plan', { key: keys['tenant-a'] })).body).toMatchObject({
        id: 'cheap',
      });
      expect((await request('GET', '/v1/plan', { key: keys['tenant-b'] })).body).toMatchObject({
        id: 'standard',
      });

      expect(
        await request('PATCH', '/v1/admin/tenants/tenant-a/wallet', {
          key: adminKey,
          body: { billingMode: 'prepaid', creditLimitMinor: '500' },
        }),
      ).toMatchObject({ status: 200 });
      expect(
        await request('PATCH', '/v1/balance', {
          key: keys['tenant-a'],
          body: { lowBalanceThresholdMinor: '100' },
        }),
      ).toMatchObject({
        status: 200,
        body: {
          currency: 'USD',
          billingMode: 'prepaid',
          creditLimitMinor: '500',
          lowBalanceThresholdMinor: '100',
          planId: 'cheap',
        },
      });
      expect((await request('GET', '/v1/usage', { key: keys['tenant-a'] })).body).toEqual({ totals: [] });
      expect(
        await request('GET', '/v1/usage?from=2026-12-01T00:00:00Z&to=2026-11-01T00:00:00Z', {
          key: keys['tenant-a'],
        }),
      ).toMatchObject({ status: 400, body: { code: 'USAGE_QUERY_INVALID' } });

      const report = await request('GET', '/v1/admin/billing/reconciliation?period=2026-11', {
        key: adminKey,
      });
      expect(report.status).toBe(200);
      expect((report.body.lines as { difference: number }[]).every((line) => line.difference === 0)).toBe(
        true,
      );
      expect(
        (await request('GET', '/v1/admin/billing/reconciliation?period=2026-13', { key: adminKey })).status,
      ).toBe(400);
    });

    it('lets a tenant keep its own account plans and resell its accounts on them, never on another tenant’s', async () => {
      const future = new Date(Date.now() + 86_400_000).toISOString();
      const created = await request('POST', '/v1/account-plans', {
        key: keys['tenant-a'],
        body: { id: 'retail', name: 'Retail', currency: 'USD', prices },
      });
      expect(created).toMatchObject({
        status: 201,
        body: { id: 'retail', currency: 'USD', versions: [{ version: 1, prices }] },
      });
      expect(created.body).not.toHaveProperty('isDefault');
      expect(
        await request('POST', '/v1/account-plans', {
          key: keys['tenant-a'],
          body: { id: 'retail', name: 'Retail', currency: 'USD', prices },
        }),
      ).toMatchObject({ status: 409, body: { code: 'PLAN_EXISTS' } });
      expect(
        await request('POST', '/v1/account-plans', {
          key: keys['tenant-a'],
          body: { id: 'euro-retail', name: 'Retail', currency: 'EUR', prices },
        }),
      ).toMatchObject({ status: 422, body: { code: 'PLAN_CURRENCY_MISMATCH' } });
      expect(
        (
          await request('POST', '/v1/account-plans', {
            key: keys.numbersOnly,
            body: { id: 'sneaky', name: 'Sneaky', currency: 'USD', prices },
          })
        ).status,
      ).toBe(403);
      expect(
        await request('POST', '/v1/account-plans/retail/versions', {
          key: keys['tenant-a'],
          body: { prices: { ...prices, inboundMessage: '0.01' }, effectiveFrom: future },
        }),
      ).toMatchObject({ status: 201, body: { versions: [{ version: 1 }, { version: 2 }] } });
      expect((await request('GET', '/v1/account-plans', { key: keys['tenant-a'] })).body).toMatchObject({
        plans: [{ id: 'retail', versions: [{ version: 1 }, { version: 2 }] }],
      });

      // tenant-b sees none of it and cannot assign it.
      expect((await request('GET', '/v1/account-plans', { key: keys['tenant-b'] })).body).toEqual({
        plans: [],
      });
      expect(await request('GET', '/v1/account-plans/retail', { key: keys['tenant-b'] })).toMatchObject({
        status: 404,
        body: { code: 'PLAN_NOT_FOUND' },
      });
      expect(
        await request('PUT', '/v1/accounts/cust-1/plan', {
          key: keys['tenant-b'],
          body: { planId: 'retail' },
        }),
      ).toMatchObject({ status: 404, body: { code: 'PLAN_NOT_FOUND' } });

      const assigned = await request('PUT', '/v1/accounts/cust-1/plan', {
        key: keys['tenant-a'],
        body: { planId: 'retail' },
      });
      expect(assigned).toMatchObject({ status: 200, body: { accountId: 'cust-1', planId: 'retail' } });
      expect(typeof assigned.body.assignedAt).toBe('string');
      expect((await request('GET', '/v1/accounts/cust-1/plan', { key: keys['tenant-a'] })).body).toEqual(
        assigned.body,
      );
      expect((await request('GET', '/v1/accounts/cust-1/plan', { key: keys['tenant-b'] })).body).toEqual({
        accountId: 'cust-1',
        planId: null,
        assignedAt: null,
      });
      expect(
        await request('PUT', '/v1/accounts/no%20such/plan', {
          key: keys['tenant-a'],
          body: { planId: 'retail' },
        }),
      ).toMatchObject({ status: 404, body: { code: 'RESOURCE_NOT_FOUND' } });
      expect(await request('DELETE', '/v1/accounts/cust-1/plan', { key: keys['tenant-a'] })).toMatchObject({
        status: 200,
        body: { accountId: 'cust-1', planId: null, assignedAt: null },
      });
    });
  });

  describe('invoices at the API', () => {
    it('issues on an operator run, lists, shows and streams the PDF of an invoice, walled off by tenant', async () => {
      const billingDb = platform.backends.billing.app.runtime.db;
      await eventually('billing to open the account', async () => {
        const answer = await request('GET', '/v1/balance', { key: keys['tenant-b'] });
        if (answer.status !== 200) throw new Error(JSON.stringify(answer.body));
      });
      expect(
        await request('PUT', '/v1/billing-profile', {
          key: keys['tenant-b'],
          body: {
            name: 'Tenant B Ltd',
            address: '1 High Street; London',
            country: 'GB',
            invoicePrefix: 'TB',
          },
        }),
      ).toMatchObject({ status: 200, body: { name: 'Tenant B Ltd', invoicePrefix: 'TB' } });
      expect(
        await request('PUT', '/v1/billing-profile', {
          key: keys['tenant-b'],
          body: { name: 'x', country: 'gb' },
        }),
      ).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED' } });

      // One rated message, stored as the rating consumer stores it.
      const found = await new PlanRepository(billingDb).find('standard');
      const plan = versionAt(found!.versions, new Date())!;
      const now = new Date();
      await withTenant(billingDb, 'tenant-b', (tx) =>
        new UsageRepository().record(
          tx,
          {
            tenantId: 'tenant-b',
            accountId: '',
            reference: randomUUID(),
            occurredAt: now,
            sourceType: 'messaging.message.sent',
            sourceId: randomUUID(),
            partyFrom: '+447700900001',
            partyTo: '+447700900002',
          },
          plan,
          rateOutboundMessage(plan, { kind: 'sms', segments: 3, destinationCountry: 'GB' }),
        ),
      );

      expect(await request('GET', '/v1/invoices/draft', { key: keys['tenant-b'] })).toMatchObject({
        status: 200,
        body: { state: 'draft', number: '', accountId: null, lineCount: 1, buyer: { name: 'Tenant B Ltd' } },
      });
      expect(
        (
          await request('POST', '/v1/admin/invoice-runs', {
            key: keys['tenant-b'],
            body: { period: 'current' },
          })
        ).status,
      ).toBe(403);
      expect(
        await request('POST', '/v1/admin/invoice-runs', { key: adminKey, body: { period: '2026-13' } }),
      ).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED' } });
      const run = await request('POST', '/v1/admin/invoice-runs', {
        key: adminKey,
        body: { period: 'current' },
      });
      expect(run.status).toBe(200);
      const number = `TB-${now.toISOString().slice(0, 7).replace('-', '')}-0001`;
      const issued = (run.body.invoices as { number: string; id: string; totalMinor: string }[]).find(
        (invoice) => invoice.number === number,
      );
      expect(issued).toBeDefined();

      expect(
        await request('GET', '/v1/invoices/draft?period=current', { key: keys['tenant-b'] }),
      ).toMatchObject({
        status: 422,
        body: { code: 'PERIOD_CLOSED' },
      });
      const list = await request('GET', '/v1/invoices', { key: keys['tenant-b'] });
      expect(list.body.invoices).toEqual([
        expect.objectContaining({ id: issued!.id, number, state: 'issued', accountId: null }),
      ]);
      const shown = await request('GET', `/v1/invoices/${issued!.id}`, { key: keys['tenant-b'] });
      expect(shown.body).toMatchObject({
        invoice: { number, buyer: { name: 'Tenant B Ltd', country: 'GB' }, lineCount: 1 },
        lines: [{ lineNo: 1, from: '+447700900001', to: '+447700900002', quantity: '3', unit: 'segment' }],
        nextAfterLine: 0,
      });

      const pdf = await fetch(`${platform.baseUrl}/v1/invoices/${issued!.id}.pdf`, {
        headers: { authorization: `Bearer ${keys['tenant-b']}` },
      });
      expect(pdf.status).toBe(200);
      expect(pdf.headers.get('content-type')).toBe('application/pdf');
      const bytes = Buffer.from(await pdf.arrayBuffer());
      expect(bytes.subarray(0, 5).toString()).toBe('%PDF-');
      const text = (await pdfText(bytes)).text.join('\n');
      expect(text).toContain(`Invoice ${number}`);
      expect(text).toContain('+447700900002');

      expect(await request('GET', `/v1/invoices/${issued!.id}.pdf`, { key: keys['tenant-a'] })).toMatchObject(
        {
          status: 404,
          body: { code: 'INVOICE_NOT_FOUND' },
        },
      );
      expect(await request('GET', `/v1/invoices/${issued!.id}`, { key: keys['tenant-a'] })).toMatchObject({
        status: 404,
        body: { code: 'INVOICE_NOT_FOUND' },
      });

      // Its payments: none yet, and none to make on a platform without a payment processor.
      expect(
        await request('GET', `/v1/invoices/${issued!.id}/payments`, { key: keys['tenant-b'] }),
      ).toMatchObject({ status: 200, body: { payments: [] } });
      expect(
        await request('GET', `/v1/invoices/${issued!.id}/payments`, { key: keys['tenant-a'] }),
      ).toMatchObject({ status: 404, body: { code: 'INVOICE_NOT_FOUND' } });
      expect(
        await request('POST', `/v1/invoices/${issued!.id}/payments`, {
          key: keys['tenant-b'],
          body: {},
          headers: { 'idempotency-key': randomUUID() },
        }),
      ).toMatchObject({ status: 422, body: { code: 'PAYMENTS_NOT_CONFIGURED' } });
    });
  });

  describe('top-ups and refunds at the API', () => {
    it('lists them with filters and reads a refund, answering 400 and 404 naming what is wrong', async () => {
      expect(
        await request('GET', '/v1/top-ups?status=succeeded&pageSize=10', { key: keys['tenant-b'] }),
      ).toMatchObject({
        status: 200,
        body: { topUps: [], nextPageToken: '' },
      });
      expect(await request('GET', '/v1/refunds', { key: keys['tenant-b'] })).toMatchObject({
        status: 200,
        body: { refunds: [], nextPageToken: '' },
      });
      expect(
        await request(
          'GET',
          '/v1/top-ups?createdAfter=2026-11-02T00:00:00.000Z&createdBefore=2026-11-01T00:00:00.000Z',
          { key: keys['tenant-b'] },
        ),
      ).toMatchObject({ status: 400, body: { code: 'TIME_RANGE_INVALID' } });
      expect(await request('GET', '/v1/refunds?status=lost', { key: keys['tenant-b'] })).toMatchObject({
        status: 400,
        body: { code: 'VALIDATION_FAILED', errors: [{ field: 'status' }] },
      });
      expect(
        await request('GET', `/v1/refunds/rf_${'0'.repeat(24)}`, { key: keys['tenant-b'] }),
      ).toMatchObject({ status: 404, body: { code: 'REFUND_NOT_FOUND' } });
    });
  });

  describe('POST /v1/messages', () => {
    it('answers 400 naming every bad field at once, before messaging is asked', async () => {
      const answer = await request('POST', '/v1/messages', {
        key: keys['tenant-a'],
        headers: { 'idempotency-key': '5f0e2d0a-3b7c-4a51-9d7e-0c1b2a394857' },
        body: {
          from: '4155550123',
          to: '+44 7911 123456',
          mediaUrls: ['http://example.com/cat.png', 'https://example.com/dog.png'],
          statusCallback: 'ftp://example.com/status',
          validityPeriod: 10,
        },
      });
      expect(answer.status).toBe(400);
      expect(answer.body.code).toBe('VALIDATION_FAILED');
      expect((answer.body.errors as { field: string }[]).map((error) => error.field).sort()).toEqual(
        ['from', 'mediaUrls.0', 'statusCallback', 'to', 'validityPeriod'].sort(),
      );
      expect((await request('GET', '/v1/messages', { key: keys['tenant-a'] })).body).toEqual({
        messages: [],
        nextPageToken: '',
      });
    });
  });

  describe('unknown routes and methods', () => {
    it('answers 404 and 405 as problems', async () => {
      expect((await request('GET', '/v1/nothing-here')).body).toMatchObject({
        status: 404,
        code: 'ROUTE_NOT_FOUND',
      });
      const wrongMethod = await request('DELETE', '/v1/tenant');
      expect(wrongMethod.body).toMatchObject({ status: 405, code: 'METHOD_NOT_ALLOWED' });
      expect(wrongMethod.headers.get('allow')).toBe('GET');
      // An empty id (`/v1/accounts/{accountId}` with none) is no such resource, not the collection's 405.
      expect((await request('PATCH', '/v1/accounts/', { body: {} })).body).toMatchObject({
        status: 404,
        code: 'ROUTE_NOT_FOUND',
      });
    });
  });

  describe('access log', () => {
    it("records authenticated calls under the caller's tenant only", async () => {
      await request('GET', '/v1/tenant', { key: keys['tenant-b'] });
      const rows = await eventually('the access log write', async () => {
        const result = await withTenant(platform.gateway.app.runtime.db, 'tenant-b', (tx) =>
          tx.execute<{ tenant_id: string; route: string; status: number }>(
            sql`select tenant_id, route, status from access_log where route = '/v1/tenant'`,
          ),
        );
        if (result.rows.length < 1) throw new Error('not yet written');
        return result.rows;
      });
      expect(rows.every((row) => row.tenant_id === 'tenant-b' && row.status === 200)).toBe(true);
    });
  });

  describe('dead letters (platform admin)', () => {
    const billingEntry = '0193a1f2-7c4e-7b6a-9d2e-5f8a1c3b4d01';
    const consumerEntry = '0193a1f2-7c4e-7b6a-9d2e-5f8a1c3b4d02';
    const gatewayEntry = '0193a1f2-7c4e-7b6a-9d2e-5f8a1c3b4d03';
    const outboxEventId = '0193a1f2-7c4e-7b6a-9d2e-5f8a1c3b4e01';

    function envelope(eventId: string, type: string, tenantId: string): Buffer {
      return Buffer.from(
        eventsV1.Envelope.encode(
          eventsV1.Envelope.fromPartial({
            eventId,
            type,
            tenantId,
            producer: type.split('.')[0],
            payloadType: 'test.Payload',
            payload: Buffer.from('{"hello":"world"}'),
          }),
        ).finish(),
      );
    }

    beforeAll(async () => {
      const park = (
        db: typeof platform.gateway.app.runtime.db,
        row: {
          id: string;
          source: string;
          consumer: string;
          eventId: string;
          type: string;
          tenant: string;
          reason: string;
          minutesAgo: number;
        },
      ) =>
        db.execute(
          sql`insert into kit_dead_letters (id, source, consumer, event_id, event_type, tenant_id, envelope, reason, error, attempts, parked_at)
              values (${row.id}, ${row.source}, ${row.consumer}, ${row.eventId}, ${row.type}, ${row.tenant},
                      ${envelope(row.eventId, row.type, row.tenant)}, ${row.reason}, 'test', 1,
                      now() - make_interval(mins => ${row.minutesAgo}))`,
        );
      const billingDb = platform.backends.billing.app.runtime.db;
      await park(billingDb, {
        id: billingEntry,
        source: 'outbox',
        consumer: '',
        eventId: outboxEventId,
        type: 'billing.test.parked',
        tenant: 'tenant-a',
        reason: 'PUBLISH_REFUSED',
        minutesAgo: 1,
      });
      await park(billingDb, {
        id: consumerEntry,
        source: 'consumer',
        consumer: 'billing-on-nothing',
        eventId: randomUUID(),
        type: 'identity.tenant.created',
        tenant: 'tenant-b',
        reason: 'INVALID_ARGUMENT',
        minutesAgo: 2,
      });
      await park(platform.gateway.app.runtime.db, {
        id: gatewayEntry,
        source: 'consumer',
        consumer: 'gateway-on-privacy-task',
        eventId: randomUUID(),
        type: 'privacy.task.requested.gateway',
        tenant: 'tenant-a',
        reason: 'UNDECODABLE',
        minutesAgo: 3,
      });
    });

    it('lists the entries of every service and of the gateway itself, newest first, and filters them', async () => {
      const all = await request('GET', '/v1/admin/dead-letters', { key: adminKey });
      expect(all.status).toBe(200);
      const ids = (all.body.deadLetters as { id: string }[]).map((entry) => entry.id);
      expect(ids).toEqual([`billing:${billingEntry}`, `billing:${consumerEntry}`, `gateway:${gatewayEntry}`]);
      expect(all.body.unreachable).toEqual([]);
      const first = (all.body.deadLetters as Record<string, unknown>[])[0]!;
      expect(first).toMatchObject({
        service: 'billing',
        source: 'outbox',
        tenantId: 'tenant-a',
        reason: 'PUBLISH_REFUSED',
        eventType: 'billing.test.parked',
        payloadType: 'test.Payload',
      });
      expect(Buffer.from(String(first.payload), 'base64').toString()).toBe('{"hello":"world"}');

      const list = async (query: string) =>
        (
          (await request('GET', `/v1/admin/dead-letters?${query}`, { key: adminKey })).body.deadLetters as {
            id: string;
          }[]
        ).map((entry) => entry.id);
      expect(await list('service=billing')).toEqual([`billing:${billingEntry}`, `billing:${consumerEntry}`]);
      expect(await list('tenant=tenant-a')).toEqual([`billing:${billingEntry}`, `gateway:${gatewayEntry}`]);
      expect(await list('reason=INVALID_ARGUMENT')).toEqual([`billing:${consumerEntry}`]);
      const bad = await request('GET', '/v1/admin/dead-letters?reason=not-a-code', { key: adminKey });
      expect(bad).toMatchObject({ status: 400, type: expect.stringContaining('application/problem+json') });
      expect((await request('GET', '/v1/admin/dead-letters?service=nowhere', { key: adminKey })).status).toBe(
        400,
      );
    });

    it('pages across services without losing or repeating an entry', async () => {
      const seen: string[] = [];
      let token = '';
      for (let page = 0; page < 5; page += 1) {
        const answer = await request(
          'GET',
          `/v1/admin/dead-letters?pageSize=1${token ? `&pageToken=${token}` : ''}`,
          { key: adminKey },
        );
        expect(answer.status).toBe(200);
        seen.push(...(answer.body.deadLetters as { id: string }[]).map((entry) => entry.id));
        token = String(answer.body.nextPageToken);
        if (!token) break;
      }
      expect(seen).toEqual([
        `billing:${billingEntry}`,
        `billing:${consumerEntry}`,
        `gateway:${gatewayEntry}`,
      ]);
      expect(
        (await request('GET', '/v1/admin/dead-letters?pageToken=garbage', { key: adminKey })).status,
      ).toBe(400);
    });

    it('answers 403 to a tenant key', async () => {
      for (const [method, path] of [
        ['GET', '/v1/admin/dead-letters'],
        ['POST', `/v1/admin/dead-letters/billing:${billingEntry}/replay`],
        ['POST', `/v1/admin/dead-letters/billing:${billingEntry}/discard`],
      ] as const) {
        expect(await request(method, path, { key: keys['tenant-a'] })).toMatchObject({
          status: 403,
          type: expect.stringContaining('application/problem+json'),
          body: { code: 'SCOPE_MISSING' },
        });
      }
    });

    it('replays an outbox entry into the outbox, which publishes it', async () => {
      const replayed = await request('POST', `/v1/admin/dead-letters/billing:${billingEntry}/replay`, {
        key: adminKey,
      });
      expect(replayed).toMatchObject({
        status: 200,
        body: { id: `billing:${billingEntry}`, outcome: 'requeued' },
      });
      await eventually('the replayed row to be published', async () => {
        const left = await platform.backends.billing.app.runtime.db.execute<{ n: number }>(
          sql`select count(*)::int as n from kit_outbox where event_id = ${outboxEventId}`,
        );
        if (left.rows[0]?.n !== 0) throw new Error('still in the outbox');
      });
      expect(
        await request('POST', `/v1/admin/dead-letters/billing:${billingEntry}/replay`, { key: adminKey }),
      ).toMatchObject({ status: 404, body: { code: 'DEAD_LETTER_NOT_FOUND' } });
    });

    it('answers 422 when the consumer of an entry does not run, and discards it', async () => {
      expect(
        await request('POST', `/v1/admin/dead-letters/billing:${consumerEntry}/replay`, { key: adminKey }),
      ).toMatchObject({
        status: 422,
        type: expect.stringContaining('application/problem+json'),
        body: { code: 'CONSUMER_NOT_RUNNING' },
      });
      expect(
        await request('POST', `/v1/admin/dead-letters/billing:${consumerEntry}/discard`, { key: adminKey }),
      ).toMatchObject({ status: 200, body: { id: `billing:${consumerEntry}`, discarded: true } });
      expect(
        await request('POST', `/v1/admin/dead-letters/billing:${consumerEntry}/discard`, { key: adminKey }),
      ).toMatchObject({ status: 404, body: { code: 'DEAD_LETTER_NOT_FOUND' } });
    });

    it('answers 404 for an id that does not name a service and a UUID', async () => {
      for (const id of ['nope', `nowhere:${gatewayEntry}`, 'billing:not-a-uuid']) {
        expect(
          await request('POST', `/v1/admin/dead-letters/${id}/discard`, { key: adminKey }),
        ).toMatchObject({ status: 404, body: { code: 'DEAD_LETTER_NOT_FOUND' } });
      }
    });

    it('is in the OpenAPI document with its problem answers', async () => {
      const document = (await request('GET', '/v1/openapi.json')).body as {
        paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
      };
      expect(Object.keys(document.paths['/v1/admin/dead-letters']!.get!.responses).sort()).toEqual([
        '200',
        '400',
        '401',
        '403',
        '429',
        '431',
        '500',
        '503',
        '504',
      ]);
      const replay = document.paths['/v1/admin/dead-letters/{id}/replay']!.post!.responses;
      expect(Object.keys(replay).sort()).toEqual([
        '200',
        '400',
        '401',
        '403',
        '404',
        '409',
        '422',
        '429',
        '431',
        '500',
        '503',
        '504',
      ]);
      // The route's own 422 and the idempotency key's 422 are both described.
      expect((replay['422'] as { description: string }).description).toMatch(/IDEMPOTENCY_KEY_REUSED/);
    });
  });

  describe('GET /readyz when a service is down', () => {
    it('answers 503 naming the service that does not answer', async () => {
      await platform.backends.billing.stop();
      const answer = await request('GET', '/readyz');
      expect(answer.status).toBe(503);
      expect(answer.body).toEqual({
        status: 'not_ready',
        services: {
          identity: 'SERVING',
          numbering: 'SERVING',
          messaging: 'SERVING',
          billing: 'UNREACHABLE',
          privacy: 'SERVING',
        },
      });
    });

    it('still lists dead letters, naming the service that does not answer', async () => {
      const answer = await request('GET', '/v1/admin/dead-letters', { key: adminKey });
      expect(answer.status).toBe(200);
      expect(answer.body.unreachable).toEqual(['billing']);
      expect((answer.body.deadLetters as { id: string }[]).map((entry) => entry.id)).toEqual([
        'gateway:0193a1f2-7c4e-7b6a-9d2e-5f8a1c3b4d03',
      ]);
    });
  });
});
