import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { status } from '@grpc/grpc-js';
import { sql } from 'drizzle-orm';
import { call, createClient, withTenant } from '@parley/kit';
import { identityV1, privacyV1 } from '@parley/proto';
import { as } from '../../../../tests/support/callers';
import { eventually, expectStatus } from '../../../../tests/support/grpc';
import { platformOperator, startPlatform, type Platform } from '../../../../tests/support/platform';
import { startService, type RunningService } from '../../../../tests/support/service';
import { buildApp, type GatewayApp } from '../../src/app';
import { loadConfig } from '../../src/config';

interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

const TENANT = 'hardened';

describe('gateway hardening (issue 9: input, access log, proxies, headers)', () => {
  let platform: Platform;
  let identity: identityV1.IdentityServiceClient;
  let privacy: privacyV1.PrivacyServiceClient;
  let adminKey = '';
  let tenantKey = '';
  let accountId = '';
  let privacyRequestId = '';

  async function request(
    method: string,
    path: string,
    options: {
      key?: string;
      body?: unknown;
      raw?: string;
      headers?: Record<string, string>;
      baseUrl?: string;
    } = {},
  ): Promise<Answer> {
    const headers: Record<string, string> = {};
    if (options.key) headers.authorization = `Bearer ${options.key}`;
    if (options.body !== undefined || options.raw !== undefined) headers['content-type'] = 'application/json';
    Object.assign(headers, options.headers);
    const response = await fetch(`${options.baseUrl ?? platform.baseUrl}${path}`, {
      method,
      headers,
      body: options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
    });
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
    };
  }

  const fieldsOf = (answer: Answer) =>
    ((answer.body.errors ?? []) as { field: string }[]).map((violation) => violation.field);

  beforeAll(async () => {
    platform = await startPlatform();
    ({ identity, adminKey } = await platformOperator(platform));
    privacy = createClient(privacyV1.PrivacyServiceClient, platform.backends.privacy.address, {
      serviceName: 'parley.privacy.v1.PrivacyService',
    });
    const tenant = await request('POST', '/v1/tenants', {
      key: adminKey,
      body: { id: TENANT, name: 'Hardened Ltd', tenancyMode: 'pooled', jurisdiction: 'uk_gdpr' },
    });
    expect(tenant.status).toBe(201);
    tenantKey = String(tenant.body.apiKey);
    const account = await request('POST', '/v1/accounts', {
      key: tenantKey,
      body: {
        fullName: 'Ada Subject',
        email: 'ada@example.com',
        ageAttested: true,
        password: 'correct horse battery staple',
      },
    });
    expect(account.status).toBe(201);
    accountId = String(account.body.id);
    const submitted = await request('POST', '/v1/privacy/requests', {
      key: tenantKey,
      body: { type: 'access', subject: { accountId } },
    });
    expect(submitted.status).toBe(201);
    privacyRequestId = String(submitted.body.id);
  }, 120_000);

  afterAll(async () => {
    identity?.close();
    privacy?.close();
    await platform?.stop();
  });

  describe('control characters in text (item 5)', () => {
    // One row per endpoint family the review found answering 500 to a NUL byte: [what, method, path, body,
    // the field the 400 must name]. Paths with ids are functions: the ids exist only after beforeAll.
    const nul = '\u0000';
    const families: [string, string, () => string, () => unknown, string][] = [
      [
        'accounts',
        'POST',
        () => '/v1/accounts',
        () => ({
          fullName: `Eve${nul}`,
          email: 'eve@example.com',
          ageAttested: true,
          password: 'long enough pw 1',
        }),
        'fullName',
      ],
      [
        'address',
        'PATCH',
        () => `/v1/accounts/${accountId}`,
        () => ({ address: { street: `1 High St${nul}`, city: 'London', country: 'GB' } }),
        'address.street',
      ],
      [
        'api-keys',
        'POST',
        () => '/v1/api-keys',
        () => ({ name: `key${nul}`, scopes: ['numbers:read'] }),
        'name',
      ],
      [
        'oauth-clients',
        'POST',
        () => '/v1/oauth-clients',
        () => ({ name: `client${nul}`, scopes: ['numbers:read'] }),
        'name',
      ],
      [
        'legal-holds',
        'POST',
        () => '/v1/privacy/legal-holds',
        () => ({ subject: { accountId }, reason: `court order${nul}` }),
        'reason',
      ],
      [
        'consents',
        'POST',
        () => '/v1/privacy/consents',
        () => ({
          subject: { accountId },
          purpose: 'marketing_email',
          granted: true,
          textVersion: `v1${nul}`,
        }),
        'textVersion',
      ],
      [
        'breaches',
        'POST',
        () => '/v1/privacy/breaches',
        () => ({
          description: `laptop lost${nul}`,
          discoveredAt: new Date().toISOString(),
          categories: ['email'],
          subjectsAffected: 1,
        }),
        'description',
      ],
      [
        'privacy requests',
        'POST',
        () => '/v1/privacy/requests',
        () => ({ type: 'access', subject: { email: `ada${nul}@example.com` } }),
        'subject.email',
      ],
      [
        'extend',
        'POST',
        () => `/v1/privacy/requests/${privacyRequestId}/extend`,
        () => ({ reason: `complex request${nul}` }),
        'reason',
      ],
    ];

    it.each(families)(
      '%s: a NUL byte answers 400 naming the field',
      async (_family, method, path, body, field) => {
        const answer = await request(method, path(), { key: tenantKey, body: body() });
        expect(answer.status).toBe(400);
        expect(answer.body).toMatchObject({ code: 'VALIDATION_FAILED' });
        expect(fieldsOf(answer)).toContain(field);
      },
    );

    it('tenants: a NUL byte in a platform admin request answers 400 naming the field', async () => {
      const answer = await request('POST', '/v1/tenants', {
        key: adminKey,
        body: { id: 'nul-tenant', name: `Nul${nul} Ltd`, tenancyMode: 'pooled', jurisdiction: 'gdpr' },
      });
      expect(answer.status).toBe(400);
      expect(fieldsOf(answer)).toContain('name');
      expect((await request('GET', '/v1/tenants/nul-tenant', { key: adminKey })).status).toBe(404);
    });

    it('refuses other control characters and in the query too, and lets tabs and line breaks through', async () => {
      const escape = await request('POST', '/v1/api-keys', {
        key: tenantKey,
        body: { name: 'key\u001b[31m', scopes: ['numbers:read'] },
      });
      expect(fieldsOf(escape)).toContain('name');
      const query = await request('GET', '/v1/privacy/requests?state=x%00', { key: tenantKey });
      expect(query.status).toBe(400);
      expect(fieldsOf(query)).toContain('state');
      const hold = await request('POST', '/v1/privacy/legal-holds', {
        key: tenantKey,
        body: { subject: { accountId }, reason: 'Court order 42\n\tline two' },
      });
      expect(hold.status).toBe(201);
    });

    it('is refused by the services themselves too, naming the field, when a caller skips the gateway', async () => {
      const refused = await expectStatus(
        call(
          identity,
          identity.createApiKey,
          { name: `key${nul}`, scopes: ['numbers:read'] },
          await as(TENANT),
        ),
        status.INVALID_ARGUMENT,
        'CONTROL_CHARACTER',
      );
      expect(refused.fieldViolations.map((violation) => violation.field)).toEqual(['name']);
      const hold = await expectStatus(
        call(
          privacy,
          privacy.placeLegalHold,
          { subject: { accountId, email: '', phone: '' }, reason: `order${nul}` },
          await as(TENANT),
        ),
        status.INVALID_ARGUMENT,
        'CONTROL_CHARACTER',
      );
      expect(hold.fieldViolations.map((violation) => violation.field)).toEqual(['reason']);
    });
  });

  describe('malformed ids (item 5)', () => {
    it('answers 404 problem+json on every route with a path parameter, for ids that cannot name anything', async () => {
      const document = (await request('GET', '/v1/openapi.json')).body as {
        paths: Record<string, Record<string, { security?: unknown[]; description?: string }>>;
      };
      const answers: string[] = [];
      const expected: string[] = [];
      for (const [path, operations] of Object.entries(document.paths)) {
        if (!path.includes('{')) continue;
        for (const [method, operation] of Object.entries(operations)) {
          const key = operation.description?.includes('`platform:admin`') ? adminKey : tenantKey;
          for (const id of ['not a valid id', 'NUL%00', 'not-a-uuid!']) {
            const answer = await request(method.toUpperCase(), path.replace(/\{\w+\}/, encodeURI(id)), {
              key,
              ...(['post', 'put', 'patch'].includes(method) ? { body: {} } : {}),
            });
            answers.push(
              `${method} ${path} ${id}: ${answer.status} ${answer.headers.get('content-type')?.split(';')[0]}`,
            );
            expected.push(`${method} ${path} ${id}: 404 application/problem+json`);
          }
        }
      }
      expect(answers.length).toBeGreaterThanOrEqual(45);
      expect(answers).toEqual(expected);
    });

    it('DELETE /v1/api-keys/not-a-uuid answers 404 naming the parameter', async () => {
      const answer = await request('DELETE', '/v1/api-keys/not-a-uuid', { key: tenantKey });
      expect(answer).toMatchObject({ status: 404, body: { code: 'RESOURCE_NOT_FOUND' } });
      expect(fieldsOf(answer)).toEqual(['id']);
    });
  });

  describe('access log (item 6)', () => {
    async function keyWith(name: string, scopes: string[]): Promise<{ key: string; principal: string }> {
      const created = await request('POST', '/v1/api-keys', { key: tenantKey, body: { name, scopes } });
      expect(created.status).toBe(201);
      return { key: String(created.body.apiKey), principal: `api-key:${String(created.body.id)}` };
    }

    async function loggedFor(principal: string, count: number): Promise<string[]> {
      const rows = await eventually('the access log writes', async () => {
        const result = await withTenant(platform.gateway.app.runtime.db, TENANT, (tx) =>
          tx.execute<{ method: string; route: string; status: number }>(
            sql`select method, route, status from access_log where principal = ${principal}`,
          ),
        );
        if (result.rows.length < count) throw new Error('not yet written');
        return result.rows;
      });
      return rows.map((row) => `${row.method} ${row.route} ${row.status}`).sort();
    }

    it('records the status actually sent: 404 and 400 from services and the gateway, 403 and 200', async () => {
      const { key, principal } = await keyWith('access-log reader', ['numbers:read', 'privacy:read']);
      const sent = [
        await request('GET', `/v1/privacy/requests/${randomUUID()}`, { key }), // privacy: NOT_FOUND
        await request('GET', '/v1/privacy/requests?pageSize=0', { key }), // gateway validation
        await request('POST', '/v1/api-keys', { key, body: { name: 'x', scopes: ['*'] } }), // scope missing
        await request('GET', '/v1/numbers', { key }),
        await request('GET', '/v1/privacy/requests/not-a-uuid', { key }), // malformed id
      ].map((answer) => answer.status);
      expect(sent).toEqual([404, 400, 403, 200, 404]);
      expect(await loggedFor(principal, sent.length)).toEqual(
        [
          'GET /v1/privacy/requests/{id} 404',
          'GET /v1/privacy/requests 400',
          'POST /v1/api-keys 403',
          'GET /v1/numbers 200',
          'GET /v1/privacy/requests/{id} 404',
        ].sort(),
      );
    });

    it('records refusals of the body itself: not JSON (400) and not sent as JSON (415)', async () => {
      const { key, principal } = await keyWith('access-log writer', ['api-keys:write']);
      const sent = [
        await request('POST', '/v1/api-keys', { key, raw: '{"name":' }),
        await request('POST', '/v1/api-keys', {
          key,
          raw: '{"name":"x","scopes":["numbers:read"]}',
          headers: { 'content-type': 'text/plain' },
        }),
      ].map((answer) => answer.status);
      expect(sent).toEqual([400, 415]);
      expect(await loggedFor(principal, sent.length)).toEqual([
        'POST /v1/api-keys 400',
        'POST /v1/api-keys 415',
      ]);
    });
  });

  describe('forwarding headers (item 7)', () => {
    let trusting: RunningService<GatewayApp> | undefined;

    afterAll(async () => {
      await trusting?.stop();
    });

    it('ignores X-Forwarded-For by default, even from loopback', async () => {
      const created = await request('POST', '/v1/accounts', {
        key: tenantKey,
        headers: { 'x-forwarded-for': '6.6.6.6' },
        body: {
          fullName: 'Lo Opback',
          email: 'lo@example.com',
          ageAttested: true,
          password: 'long enough pw 2',
        },
      });
      expect(created.status).toBe(201);
      expect(created.body.signupIp).not.toBe('6.6.6.6');
      expect(String(created.body.signupIp)).toMatch(/127\.0\.0\.1/);
    });

    it('believes it from a proxy named in TRUSTED_PROXIES', async () => {
      const env = Object.fromEntries(
        Object.entries(platform.gateway.env).filter(
          ([name]) => !['DATABASE_URL', 'GRPC_PORT', 'PORT'].includes(name),
        ),
      );
      trusting = await startService('gateway', (values) => buildApp(loadConfig(values)), {
        ...env,
        PORT: '0',
        TRUSTED_PROXIES: '127.0.0.1/8, ::1',
      });
      const created = await request('POST', '/v1/accounts', {
        key: tenantKey,
        baseUrl: `http://127.0.0.1:${trusting.app.httpPort()}`,
        headers: { 'x-forwarded-for': '203.0.113.9' },
        body: {
          fullName: 'Pro Xied',
          email: 'proxied@example.com',
          ageAttested: true,
          password: 'long enough pw 3',
        },
      });
      expect(created.status).toBe(201);
      expect(created.body.signupIp).toBe('203.0.113.9');
    });

    it('refuses a TRUSTED_PROXIES value that is not an address or range, naming the variable', () => {
      expect(() => loadConfig({ ...platform.gateway.env, TRUSTED_PROXIES: 'everyone' })).toThrow(
        /TRUSTED_PROXIES/,
      );
    });
  });

  describe('response headers, request ids, 415 and 431 (item 8)', () => {
    it('sends no-store, nosniff and a generated request id on answers with personal data and secrets', async () => {
      for (const answer of [
        await request('GET', `/v1/accounts/${accountId}`, { key: tenantKey }),
        await request('POST', '/v1/api-keys', {
          key: tenantKey,
          body: { name: 'shown once', scopes: ['numbers:read'] },
        }),
        await request('GET', '/v1/nowhere', {}),
      ]) {
        expect(answer.headers.get('cache-control')).toBe('no-store');
        expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
        expect(answer.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      }
    });

    it('echoes a valid X-Request-Id in the header and the problem body, and replaces an invalid one', async () => {
      const echoed = await request('GET', `/v1/privacy/requests/${randomUUID()}`, {
        key: tenantKey,
        headers: { 'x-request-id': 'partner.order-7:try_1' },
      });
      expect(echoed.status).toBe(404);
      expect(echoed.headers.get('x-request-id')).toBe('partner.order-7:try_1');
      expect(echoed.body.requestId).toBe('partner.order-7:try_1');
      for (const invalid of ['has spaces', 'x'.repeat(129), 'semi;colon']) {
        const replaced = await request('GET', '/v1/privacy/requests/not-a-uuid', {
          key: tenantKey,
          headers: { 'x-request-id': invalid },
        });
        const id = replaced.headers.get('x-request-id');
        expect(id).toMatch(/^[0-9a-f-]{36}$/);
        expect(replaced.body.requestId).toBe(id);
      }
    });

    it('answers 415 to a body that is not sent as JSON', async () => {
      const answer = await request('POST', '/v1/api-keys', {
        key: tenantKey,
        raw: '{"name":"typed","scopes":["numbers:read"]}',
        headers: { 'content-type': 'text/plain' },
      });
      expect(answer.status).toBe(415);
      expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(answer.body).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE', status: 415 });
    });

    it('answers 431 with a problem+json body to a header block over the limit', async () => {
      const url = new URL(platform.baseUrl);
      const answer = await new Promise<{ status: number; type: string; body: string; id: string }>(
        (resolve, reject) => {
          const sent = httpRequest(
            {
              host: url.hostname,
              port: url.port,
              path: '/v1/api-keys',
              headers: { 'x-filler': 'a'.repeat(20_000) },
            },
            (response) => {
              let body = '';
              response.setEncoding('utf8');
              response.on('data', (chunk: string) => (body += chunk));
              response.on('end', () =>
                resolve({
                  status: response.statusCode ?? 0,
                  type: String(response.headers['content-type']),
                  body,
                  id: String(response.headers['x-request-id']),
                }),
              );
            },
          );
          sent.on('error', reject);
          sent.end();
        },
      );
      expect(answer.status).toBe(431);
      expect(answer.type).toBe('application/problem+json');
      expect(JSON.parse(answer.body)).toMatchObject({
        status: 431,
        code: 'HEADERS_TOO_LARGE',
        requestId: answer.id,
      });
    });

    it('documents 404, 415 and 431 in the OpenAPI document', async () => {
      const document = (await request('GET', '/v1/openapi.json')).body as {
        paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
      };
      expect(Object.keys(document.paths['/v1/api-keys']!.post!.responses)).toEqual(
        expect.arrayContaining(['415', '431']),
      );
      expect(Object.keys(document.paths['/v1/api-keys/{id}']!.delete!.responses)).toContain('404');
    });
  });
});
