import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'drizzle-orm';
import { call, callerMetadata, createClient, withTenant } from '@parley/kit';
import { identityV1 } from '@parley/proto';
import { eventually } from '../../../../tests/support/grpc';
import { startPlatform, type Platform } from './platform';

interface Answer {
  status: number;
  type: string;
  headers: Headers;
  body: Record<string, unknown>;
}

describe('gateway REST API', () => {
  let platform: Platform;
  let identity: identityV1.IdentityServiceClient;
  const keys: Record<string, string> = {};

  async function request(
    method: string,
    path: string,
    options: { key?: string; body?: unknown; raw?: string } = {},
  ): Promise<Answer> {
    const headers: Record<string, string> = {};
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

  async function tenantWithKey(id: string, scopes: string[]): Promise<string> {
    await call(identity, identity.createTenant, {
      id,
      name: `Tenant ${id}`,
      tenancyMode: identityV1.TenancyMode.TENANCY_MODE_POOLED,
      jurisdiction: identityV1.Jurisdiction.JURISDICTION_UK_GDPR,
    });
    const { secret } = await call(
      identity,
      identity.createApiKey,
      { name: 'test', scopes },
      {
        metadata: callerMetadata({ tenantId: id, principal: 'test', scopes: ['*'] }),
      },
    );
    return secret;
  }

  beforeAll(async () => {
    platform = await startPlatform();
    identity = createClient(identityV1.IdentityServiceClient, platform.backends.identity.address, {
      serviceName: 'parley.identity.v1.IdentityService',
    });
    keys.a = await tenantWithKey('tenant-a', ['*']);
    keys.b = await tenantWithKey('tenant-b', ['*']);
    keys.numbersOnly = await call(
      identity,
      identity.createApiKey,
      { name: 'narrow', scopes: ['numbers:write'] },
      {
        metadata: callerMetadata({ tenantId: 'tenant-a', principal: 'test', scopes: ['*'] }),
      },
    ).then((response) => response.secret);
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
        Record<string, { security?: unknown[]; responses: Record<string, unknown> }>
      >;
      expect(Object.keys(paths).sort()).toEqual(
        [
          '/healthz',
          '/readyz',
          '/v1/api-keys',
          '/v1/billing/balance',
          '/v1/messages',
          '/v1/numbers',
          '/v1/privacy/requests',
          '/v1/tenant',
        ].sort(),
      );
      const listNumbers = paths['/v1/numbers']!.get!;
      expect(listNumbers.security).toEqual([{ bearerAuth: [] }]);
      expect(Object.keys(listNumbers.responses).sort()).toEqual(['200', '400', '401', '403', '500']);
      expect(Object.keys(paths['/readyz']!.get!.responses)).toContain('503');
      expect((body.components as { schemas: Record<string, unknown> }).schemas.Problem).toBeDefined();
    });
  });

  describe('authentication', () => {
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
    });

    it('answers 401 for a key that is wrong, and for one revoked a moment ago', async () => {
      expect((await request('GET', '/v1/tenant', { key: `${keys.a!.slice(0, -2)}zz` })).body).toMatchObject({
        status: 401,
        code: 'API_KEY_INVALID',
      });
      const doomed = await tenantWithKey('tenant-c', ['*']);
      expect((await request('GET', '/v1/tenant', { key: doomed })).status).toBe(200);
      await withTenant(platform.backends.identity.app.runtime.db, 'tenant-c', (tx) =>
        tx.execute(sql`update api_keys set revoked_at = now()`),
      );
      expect((await request('GET', '/v1/tenant', { key: doomed })).body).toMatchObject({
        status: 401,
        code: 'API_KEY_REVOKED',
      });
    });

    it('answers 403 when the key lacks the scope, and lets a write scope read', async () => {
      expect((await request('GET', '/v1/billing/balance', { key: keys.numbersOnly })).body).toMatchObject({
        status: 403,
        code: 'SCOPE_MISSING',
      });
      expect((await request('GET', '/v1/numbers', { key: keys.numbersOnly })).status).toBe(200);
    });
  });

  describe('tenant walls at the API', () => {
    it("shows each key only its own tenant's data", async () => {
      expect((await request('GET', '/v1/tenant', { key: keys.a })).body).toMatchObject({
        id: 'tenant-a',
        jurisdiction: 'uk_gdpr',
      });
      expect((await request('GET', '/v1/tenant', { key: keys.b })).body).toMatchObject({ id: 'tenant-b' });
      await withTenant(platform.backends.numbering.app.runtime.db, 'tenant-b', (tx) =>
        tx.execute(
          sql`insert into numbers (tenant_id, e164, country) values ('tenant-b', '+447700900123', 'GB')`,
        ),
      );
      const ofA = await request('GET', '/v1/numbers', { key: keys.a });
      const ofB = await request('GET', '/v1/numbers', { key: keys.b });
      expect(ofA.body).toEqual({ numbers: [], nextPageToken: '' });
      expect((ofB.body.numbers as { e164: string }[]).map((number) => number.e164)).toEqual([
        '+447700900123',
      ]);
    });

    it('reaches billing, messaging and privacy as the caller', async () => {
      const balance = await eventually('billing to open the account', async () => {
        const answer = await request('GET', '/v1/billing/balance', { key: keys.a });
        if (answer.status !== 200) throw new Error(JSON.stringify(answer.body));
        return answer.body;
      });
      expect(balance).toMatchObject({ currency: 'USD', balanceMinor: '0' });
      expect((await request('GET', '/v1/messages', { key: keys.a })).body).toEqual({
        messages: [],
        nextPageToken: '',
      });
      expect((await request('GET', '/v1/privacy/requests', { key: keys.a })).body).toEqual({
        requests: [],
        nextPageToken: '',
      });
    });
  });

  describe('POST /v1/api-keys', () => {
    it('answers 201 with the full key once, and the new key works', async () => {
      const created = await request('POST', '/v1/api-keys', {
        key: keys.a,
        body: { name: 'partner', scopes: ['tenant:read'] },
      });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ name: 'partner', scopes: ['tenant:read'] });
      expect(String(created.body.apiKey)).toMatch(/^prl_/);
      expect((await request('GET', '/v1/tenant', { key: String(created.body.apiKey) })).body).toMatchObject({
        id: 'tenant-a',
      });
    });

    it('answers 400 naming each bad field, and writes nothing', async () => {
      const count = async () =>
        (
          await withTenant(platform.backends.identity.app.runtime.db, 'tenant-a', (tx) =>
            tx.execute<{ n: number }>(sql`select count(*)::int as n from api_keys`),
          )
        ).rows[0]?.n;
      const before = await count();
      const answer = await request('POST', '/v1/api-keys', {
        key: keys.a,
        body: { name: '', scopes: ['everything'], expiresAt: 'tomorrow', extra: true },
      });
      expect(answer.status).toBe(400);
      expect(answer.body.code).toBe('VALIDATION_FAILED');
      expect((answer.body.errors as { field: string }[]).map((error) => error.field).sort()).toEqual(
        ['(body)', 'expiresAt', 'name', 'scopes.0'].sort(),
      );
      const past = await request('POST', '/v1/api-keys', {
        key: keys.a,
        body: { name: 'late', scopes: ['*'], expiresAt: '2001-01-01T00:00:00Z' },
      });
      expect(past.body).toMatchObject({
        status: 400,
        code: 'API_KEY_INVALID_REQUEST',
        errors: [{ field: 'expiresAt' }],
      });
      expect((await request('POST', '/v1/api-keys', { key: keys.a, raw: '{"name":' })).body).toMatchObject({
        status: 400,
        code: 'BODY_NOT_JSON',
      });
      expect(await count()).toBe(before);
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
    });
  });

  describe('access log', () => {
    it("records authenticated calls under the caller's tenant only", async () => {
      await request('GET', '/v1/tenant', { key: keys.b });
      const rows = await eventually('the access log write', async () => {
        const result = await withTenant(platform.gateway.app.runtime.db, 'tenant-b', (tx) =>
          tx.execute<{ tenant_id: string; route: string; status: number }>(
            sql`select tenant_id, route, status from access_log where route = '/v1/tenant'`,
          ),
        );
        if (result.rows.length < 2) throw new Error('not yet written');
        return result.rows;
      });
      expect(rows.every((row) => row.tenant_id === 'tenant-b' && row.status === 200)).toBe(true);
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
  });
});
