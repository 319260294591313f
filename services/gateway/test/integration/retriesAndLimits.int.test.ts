import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { withTenant } from '@parley/kit';
import { identityV1 } from '@parley/proto';
import { platformOperator, startPlatform, type Platform } from '../../../../tests/support/platform';
import { freePort } from '../../../../tools/dev/src/ports';

interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

const repoRoot = join(__dirname, '..', '..', '..', '..');

/** A gateway as its own OS process (src/main.ts), a replica of the platform's gateway on its database. */
async function startGatewayProcess(
  env: Record<string, string>,
): Promise<{ baseUrl: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    ['--conditions=parley-source', '--import', 'tsx', join(repoRoot, 'services/gateway/src/main.ts')],
    {
      cwd: repoRoot,
      env: { ...process.env, ...env, PORT: String(port), GRPC_PORT: '0', METRICS_PORT: '0' },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`gateway process exited with ${child.exitCode}`);
    const alive = await fetch(`${baseUrl}/healthz`).then(
      (response) => response.ok,
      () => false,
    );
    if (alive) return { baseUrl, child };
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  child.kill('SIGKILL');
  throw new Error('gateway process did not come up');
}

function stopProcess(child: ChildProcess | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

describe('gateway: Idempotency-Key and shared rate limits', () => {
  let platform: Platform;
  let identity: identityV1.IdentityServiceClient;
  let adminKey = '';
  const keys: Record<string, string> = {};
  const replicas: { baseUrl: string; child: ChildProcess }[] = [];

  async function request(
    base: string,
    method: string,
    path: string,
    options: { key?: string; body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<Answer> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.key) headers.authorization = `Bearer ${options.key}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${base}${path}`, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    return {
      status: response.status,
      headers: response.headers,
      body: (await response.json()) as Record<string, unknown>,
    };
  }
  const api = (method: string, path: string, options?: Parameters<typeof request>[3]) =>
    request(platform.baseUrl, method, path, options);

  async function keysNamed(tenantKey: string, name: string): Promise<number> {
    const listed = await api('GET', '/v1/api-keys', { key: tenantKey });
    expect(listed.status).toBe(200);
    return (listed.body.apiKeys as { name: string }[]).filter((key) => key.name === name).length;
  }

  beforeAll(async () => {
    platform = await startPlatform();
    ({ identity, adminKey } = await platformOperator(platform));
    for (const id of ['tenant-a', 'tenant-b']) {
      const created = await api('POST', '/v1/tenants', {
        key: adminKey,
        body: { id, name: `Tenant ${id}`, tenancyMode: 'pooled', jurisdiction: 'uk_gdpr' },
      });
      expect(created.status).toBe(201);
      keys[id] = String(created.body.apiKey);
    }
    // Two more gateway processes on the platform gateway's database, with small limits.
    const env = {
      ...platform.gateway.env,
      HOST: '127.0.0.1',
      RATE_LIMIT_PER_PRINCIPAL: '6',
      RATE_LIMIT_PER_TENANT: '1000',
      RATE_LIMIT_PER_IP: '4',
      RATE_LIMIT_OVERRIDE_CACHE_MS: '300',
    };
    replicas.push(...(await Promise.all([startGatewayProcess(env), startGatewayProcess(env)])));
  }, 180_000);

  afterAll(async () => {
    await Promise.all(replicas.map((replica) => stopProcess(replica.child)));
    identity?.close();
    await platform?.stop();
  });

  describe('POST /v1/api-keys with Idempotency-Key', () => {
    it('creates once and replays the first answer for the same key and body', async () => {
      const body = { name: 'replayed', scopes: ['numbers:read'] };
      const headers = { 'Idempotency-Key': 'create-replayed-1' };
      const first = await api('POST', '/v1/api-keys', { key: keys['tenant-a'], body, headers });
      expect(first.status).toBe(201);
      expect(first.headers.get('idempotent-replayed')).toBeNull();
      const again = await api('POST', '/v1/api-keys', {
        key: keys['tenant-a'],
        // The same body with its fields in another order is the same request.
        body: { scopes: ['numbers:read'], name: 'replayed' },
        headers,
      });
      expect(again.status).toBe(201);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(again.body).toEqual(first.body);
      expect(await keysNamed(keys['tenant-a']!, 'replayed')).toBe(1);
      // The same key in another tenant is that tenant's own.
      const other = await api('POST', '/v1/api-keys', { key: keys['tenant-b'], body, headers });
      expect(other.status).toBe(201);
      expect(other.headers.get('idempotent-replayed')).toBeNull();
      expect(other.body.id).not.toEqual(first.body.id);
    });

    it('answers 422 IDEMPOTENCY_KEY_REUSED for the same key with a different body', async () => {
      const headers = { 'Idempotency-Key': 'create-reused-1' };
      const first = await api('POST', '/v1/api-keys', {
        key: keys['tenant-a'],
        body: { name: 'reused', scopes: ['numbers:read'] },
        headers,
      });
      expect(first.status).toBe(201);
      const other = await api('POST', '/v1/api-keys', {
        key: keys['tenant-a'],
        body: { name: 'reused-other', scopes: ['numbers:read'] },
        headers,
      });
      expect(other.status).toBe(422);
      expect(other.body).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED', status: 422 });
      expect(await keysNamed(keys['tenant-a']!, 'reused-other')).toBe(0);
    });

    it('has exactly one effect when the same request arrives concurrently, on two gateway processes', async () => {
      const body = { name: 'concurrent', scopes: ['numbers:read'] };
      const headers = { 'Idempotency-Key': 'create-concurrent-1' };
      const bases = [platform.baseUrl, replicas[0]!.baseUrl, replicas[1]!.baseUrl, platform.baseUrl];
      const answers = await Promise.all(
        bases.map((base) => request(base, 'POST', '/v1/api-keys', { key: keys['tenant-b'], body, headers })),
      );
      const fresh = answers.filter(
        (answer) => answer.status === 201 && answer.headers.get('idempotent-replayed') === null,
      );
      expect(fresh).toHaveLength(1);
      for (const answer of answers.filter((answer) => !fresh.includes(answer))) {
        if (answer.status === 409) {
          expect(answer.body.code).toBe('IDEMPOTENCY_KEY_IN_USE');
          expect(Number(answer.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
        } else {
          expect({ status: answer.status, replayed: answer.headers.get('idempotent-replayed') }).toEqual({
            status: 201,
            replayed: 'true',
          });
          expect(answer.body).toEqual(fresh[0]!.body);
        }
      }
      expect(await keysNamed(keys['tenant-b']!, 'concurrent')).toBe(1);
    });

    it('answers 400 naming the header for a malformed key, and creates nothing', async () => {
      for (const bad of ['x'.repeat(256), 'tab\tinside']) {
        const answer = await api('POST', '/v1/api-keys', {
          key: keys['tenant-a'],
          body: { name: 'bad-key', scopes: ['numbers:read'] },
          headers: { 'Idempotency-Key': bad },
        });
        expect(answer.status).toBe(400);
        expect(answer.body.code).toBe('IDEMPOTENCY_KEY_INVALID');
        expect(answer.body.errors).toEqual([expect.objectContaining({ field: 'Idempotency-Key' })]);
      }
      expect(await keysNamed(keys['tenant-a']!, 'bad-key')).toBe(0);
    });

    it('keeps no 5xx answer, so a retry with the same key after the outage acts once', async () => {
      const body = {
        description: 'laptop lost on a train',
        discoveredAt: new Date().toISOString(),
        categories: ['contact details'],
        subjectsAffected: 3,
      };
      const headers = { 'Idempotency-Key': 'breach-during-outage' };
      await platform.backends.privacy.halt();
      const down = await api('POST', '/v1/privacy/breaches', { key: keys['tenant-a'], body, headers });
      expect(down.status).toBe(503);
      await platform.backends.privacy.restart();
      let first: Answer | undefined;
      const deadline = Date.now() + 20_000;
      // The gateway's channel reconnects with backoff; every 503 meanwhile is forgotten too.
      while (Date.now() < deadline) {
        first = await api('POST', '/v1/privacy/breaches', { key: keys['tenant-a'], body, headers });
        if (first.status !== 503) break;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(first?.status).toBe(201);
      expect(first?.headers.get('idempotent-replayed')).toBeNull();
      const again = await api('POST', '/v1/privacy/breaches', { key: keys['tenant-a'], body, headers });
      expect(again.status).toBe(201);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(again.body.id).toBe(first?.body.id);
      const register = await api('GET', '/v1/privacy/breaches', { key: keys['tenant-a'] });
      expect(
        (register.body.breaches as { description: string }[]).filter(
          (breach) => breach.description === body.description,
        ),
      ).toHaveLength(1);
    });

    it('does not leave a key stuck when the gateway holding it is killed mid-request', async () => {
      // A privacy endpoint that accepts connections and never answers keeps the request in flight.
      const sockets: Socket[] = [];
      const silent: Server = createServer((socket) => sockets.push(socket));
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      const port = (silent.address() as { port: number }).port;
      const doomed = await startGatewayProcess({
        ...platform.gateway.env,
        HOST: '127.0.0.1',
        PRIVACY_ADDR: `127.0.0.1:${port}`,
        UPSTREAM_TIMEOUT_MS: '60000',
        // Long enough that the lease is still held when the retry below comes, on a loaded machine too.
        IDEMPOTENCY_LEASE_MS: '6000',
      });
      try {
        const body = {
          description: 'backup tape missing',
          discoveredAt: new Date().toISOString(),
          categories: ['contact details'],
          subjectsAffected: 1,
        };
        const headers = { 'Idempotency-Key': 'breach-killed-gateway' };
        const inFlight = request(doomed.baseUrl, 'POST', '/v1/privacy/breaches', {
          key: keys['tenant-a'],
          body,
          headers,
        }).catch(() => undefined);
        const held = async () =>
          (
            await withTenant(platform.gateway.app.runtime.db, 'tenant-a', (tx) =>
              tx.execute(
                sql`select 1 from kit_idempotency_keys where idempotency_key = 'breach-killed-gateway'`,
              ),
            )
          ).rows.length > 0;
        const deadline = Date.now() + 20_000;
        while (!(await held()) && Date.now() < deadline)
          await new Promise((resolve) => setTimeout(resolve, 50));
        expect(await held()).toBe(true);
        doomed.child.kill('SIGKILL');
        await new Promise((resolve) => doomed.child.once('exit', resolve));
        await inFlight;
        const busy = await api('POST', '/v1/privacy/breaches', { key: keys['tenant-a'], body, headers });
        expect(busy.status).toBe(409);
        expect(busy.body.code).toBe('IDEMPOTENCY_KEY_IN_USE');
        const wait = Number(busy.headers.get('retry-after'));
        expect(wait).toBeGreaterThanOrEqual(1);
        expect(wait).toBeLessThanOrEqual(6);
        await new Promise((resolve) => setTimeout(resolve, wait * 1000 + 200));
        const taken = await api('POST', '/v1/privacy/breaches', { key: keys['tenant-a'], body, headers });
        expect(taken.status).toBe(201);
        const register = await api('GET', '/v1/privacy/breaches', { key: keys['tenant-a'] });
        expect(
          (register.body.breaches as { description: string }[]).filter(
            (breach) => breach.description === body.description,
          ),
        ).toHaveLength(1);
      } finally {
        await stopProcess(doomed.child);
        sockets.forEach((socket) => socket.destroy());
        silent.close();
      }
    });

    it('documents the header and its outcomes in the OpenAPI document', async () => {
      const document = await api('GET', '/v1/openapi.json');
      const paths = document.body.paths as Record<
        string,
        Record<string, { parameters?: { name: string; in: string }[]; responses: Record<string, unknown> }>
      >;
      const create = paths['/v1/api-keys']!.post!;
      expect(create.parameters).toEqual(
        expect.arrayContaining([expect.objectContaining({ name: 'Idempotency-Key', in: 'header' })]),
      );
      expect(Object.keys(create.responses)).toEqual(expect.arrayContaining(['409', '422', '429']));
      expect(paths['/v1/admin/tenants/{tenantId}/rate-limits']!.put).toBeDefined();
    });
  });

  describe('rate limits', () => {
    it('counts one limit across two gateway processes and answers 429 with Retry-After and RateLimit headers', async () => {
      const created = await api('POST', '/v1/api-keys', {
        key: keys['tenant-a'],
        body: { name: 'limited', scopes: ['tenant:read'] },
      });
      const limitedKey = String(created.body.apiKey);
      const answers: Answer[] = [];
      for (let index = 0; index < 7; index += 1) {
        answers.push(await request(replicas[index % 2]!.baseUrl, 'GET', '/v1/tenant', { key: limitedKey }));
      }
      expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200, 200, 429]);
      expect(answers[0]!.headers.get('ratelimit-policy')).toBe('"principal";q=6;w=60, "tenant";q=1000;w=60');
      expect(answers[0]!.headers.get('ratelimit')).toMatch(/^"principal";r=5;t=\d+, "tenant";r=\d+;t=\d+$/);
      expect(answers[5]!.headers.get('ratelimit')).toMatch(/^"principal";r=0;t=\d+/);
      const refused = answers[6]!;
      expect(refused.body).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(60);
      expect(refused.headers.get('ratelimit-policy')).toContain('"principal";q=6;w=60');
      expect(refused.headers.get('ratelimit')).toMatch(/"principal";r=0;t=\d+/);
      // Another key of the same tenant has its own allowance.
      const other = await api('POST', '/v1/api-keys', {
        key: keys['tenant-a'],
        body: { name: 'limited-2', scopes: ['tenant:read'] },
      });
      const otherAnswer = await request(replicas[0]!.baseUrl, 'GET', '/v1/tenant', {
        key: String(other.body.apiKey),
      });
      expect(otherAnswer.status).toBe(200);
    });

    it("applies a platform admin's per-tenant override on every process", async () => {
      // The key is made before the override: under it, tenant-b's own key may have used its two requests of
      // the window already (earlier tests), and creating the key would be refused.
      const created = await api('POST', '/v1/api-keys', {
        key: keys['tenant-b'],
        body: { name: 'overridden', scopes: ['tenant:read'] },
      });
      expect(created.status).toBe(201);
      const key = String(created.body.apiKey);
      const set = await request(replicas[0]!.baseUrl, 'PUT', '/v1/admin/tenants/tenant-b/rate-limits', {
        key: adminKey,
        body: { perPrincipal: 2 },
      });
      expect(set.status).toBe(200);
      expect(set.body).toMatchObject({ tenantId: 'tenant-b', perPrincipal: 2, perTenant: 1000 });
      const tenantA = await request(replicas[0]!.baseUrl, 'GET', '/v1/admin/tenants/tenant-a/rate-limits', {
        key: adminKey,
      });
      expect(tenantA.body).toMatchObject({ perPrincipal: 6, overridden: null });
      await new Promise((resolve) => setTimeout(resolve, 400));
      const statuses = [];
      for (let index = 0; index < 3; index += 1) {
        const answer = await request(replicas[1]!.baseUrl, 'GET', '/v1/tenant', { key });
        statuses.push(answer.status);
        if (index === 0) expect(answer.headers.get('ratelimit-policy')).toContain('"principal";q=2;w=60');
      }
      expect(statuses).toEqual([200, 200, 429]);
      const bad = await request(replicas[0]!.baseUrl, 'PUT', '/v1/admin/tenants/tenant-b/rate-limits', {
        key: adminKey,
        body: { perPrincipal: -1 },
      });
      expect(bad.status).toBe(400);
      const notAdmin = await request(replicas[0]!.baseUrl, 'PUT', '/v1/admin/tenants/tenant-b/rate-limits', {
        key: keys['tenant-b'],
        body: { perPrincipal: 100 },
      });
      expect(notAdmin.status).toBe(403);
      // Limits for a tenant that does not exist are refused: identity is asked before anything is stored.
      const unknown = await request(
        replicas[0]!.baseUrl,
        'PUT',
        '/v1/admin/tenants/no-such-tenant/rate-limits',
        {
          key: adminKey,
          body: { perPrincipal: 5 },
        },
      );
      expect(unknown.status).toBe(404);
      expect(unknown.body.code).toBe('TENANT_NOT_FOUND');
    });

    it('limits open routes per client address, across processes', async () => {
      // Earlier tests fetched the document from this address too: the counter is shared, so start from
      // what the first answer says is left.
      const first = await request(replicas[0]!.baseUrl, 'GET', '/v1/openapi.json');
      expect(first.status).toBe(200);
      expect(first.headers.get('ratelimit-policy')).toBe('"ip";q=4;w=60');
      const left = Number(/r=(\d+)/.exec(first.headers.get('ratelimit') ?? '')?.[1]);
      expect(left).toBeLessThan(4);
      const statuses = [];
      for (let index = 0; index <= left; index += 1) {
        const answer = await request(replicas[(index + 1) % 2]!.baseUrl, 'GET', '/v1/openapi.json');
        statuses.push(answer.status);
        if (answer.status === 429) {
          expect(answer.body.code).toBe('RATE_LIMITED');
          expect(Number(answer.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
        }
      }
      expect(statuses).toEqual([...Array.from({ length: left }, () => 200), 429]);
    });
  });
});
