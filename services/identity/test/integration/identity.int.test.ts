import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { status } from '@grpc/grpc-js';
import { sql } from 'drizzle-orm';
import { call, callerMetadata, createClient, withTenant } from '@parley/kit';
import { identityV1 } from '@parley/proto';
import { startService, type RunningService } from '../../../../tests/support/service';
import { expectStatus, eventually } from '../../../../tests/support/grpc';
import { expectEveryTenantTableWalled, expectTenantWall } from '../../../../tests/support/rls';
import { buildApp, type IdentityApp } from '../../src/app';
import { loadConfig } from '../../src/config';

const { TenancyMode, Jurisdiction } = identityV1;
const acme = {
  id: 'acme',
  name: 'Acme Ltd',
  tenancyMode: TenancyMode.TENANCY_MODE_POOLED,
  jurisdiction: Jurisdiction.JURISDICTION_GDPR,
};

describe('identity service', () => {
  let service: RunningService<IdentityApp>;
  let client: identityV1.IdentityServiceClient;
  const as = (tenantId: string) => ({
    metadata: callerMetadata({ tenantId, principal: 'test', scopes: ['*'] }),
  });

  beforeAll(async () => {
    service = await startService('identity', (env) => buildApp(loadConfig(env)));
    client = createClient(identityV1.IdentityServiceClient, service.address, {
      serviceName: 'parley.identity.v1.IdentityService',
    });
  });

  afterAll(async () => {
    client?.close();
    await service?.stop();
  });

  describe('IdentityService/CreateTenant', () => {
    describe('OK', () => {
      it('creates the tenant once and announces it through the outbox', async () => {
        const first = await call(client, client.createTenant, acme);
        expect(first).toMatchObject({
          created: true,
          tenant: { id: 'acme', name: 'Acme Ltd', status: identityV1.TenantStatus.TENANT_STATUS_ACTIVE },
        });
        const again = await call(client, client.createTenant, acme);
        expect(again).toMatchObject({ created: false, tenant: { id: 'acme' } });
        const events = await eventually('the tenant event to be published', async () => {
          const rows = await service.app.runtime.db.execute<{
            event_type: string;
            tenant_id: string;
            published: boolean;
          }>(
            sql`select event_type, tenant_id, published_at is not null as published from kit_outbox where tenant_id = 'acme'`,
          );
          if (!rows.rows.every((row) => row.published)) throw new Error('not yet published');
          return rows.rows;
        });
        expect(events).toEqual([
          { event_type: 'identity.tenant.created', tenant_id: 'acme', published: true },
        ]);
      });
    });

    describe('ALREADY_EXISTS', () => {
      it('refuses the same id with different attributes', async () => {
        await call(client, client.createTenant, { ...acme, id: 'taken' });
        await expectStatus(
          call(client, client.createTenant, { ...acme, id: 'taken', name: 'Someone Else' }),
          status.ALREADY_EXISTS,
          'TENANT_EXISTS',
        );
      });
    });

    describe('INVALID_ARGUMENT', () => {
      it('names every bad field and writes nothing', async () => {
        const { fieldViolations } = await expectStatus(
          call(client, client.createTenant, { id: 'Bad Id!', name: ' ', tenancyMode: 0, jurisdiction: 0 }),
          status.INVALID_ARGUMENT,
          'TENANT_INVALID',
        );
        expect(fieldViolations.map((violation) => violation.field)).toEqual([
          'id',
          'name',
          'tenancyMode',
          'jurisdiction',
        ]);
        const rows = await service.app.runtime.db.execute(
          sql`select 1 from kit_outbox where tenant_id = 'Bad Id!'`,
        );
        expect(rows.rowCount).toBe(0);
      });
    });
  });

  describe('IdentityService/GetTenant', () => {
    it('answers NOT_FOUND for another tenant, exactly as for a missing one', async () => {
      await call(client, client.createTenant, { ...acme, id: 'globex', name: 'Globex' });
      await expectStatus(
        call(client, client.getTenant, { id: 'globex' }, as('acme')),
        status.NOT_FOUND,
        'TENANT_NOT_FOUND',
      );
      await expectStatus(
        call(client, client.getTenant, { id: 'nobody' }, as('acme')),
        status.NOT_FOUND,
        'TENANT_NOT_FOUND',
      );
      expect((await call(client, client.getTenant, { id: '' }, as('globex'))).tenant?.name).toBe('Globex');
    });

    it('refuses a call that carries no caller', async () => {
      await expectStatus(
        call(client, client.getTenant, { id: 'acme' }),
        status.UNAUTHENTICATED,
        'CALLER_MISSING',
      );
    });
  });

  describe('IdentityService/CreateApiKey and AuthenticateApiKey', () => {
    it('shows the key once and resolves it to its tenant and scopes', async () => {
      const created = await call(
        client,
        client.createApiKey,
        { name: 'ci', scopes: ['numbers:read'] },
        as('acme'),
      );
      expect(created.secret).toMatch(/^prl_[0-9A-Za-z]{12}_[0-9A-Za-z]{32}$/);
      expect(created.secret.startsWith(created.apiKey?.prefix ?? '?')).toBe(true);
      const stored = await withTenant(service.app.runtime.db, 'acme', (tx) =>
        tx.execute<{ secret_hash: string }>(
          sql`select secret_hash from api_keys where id = ${created.apiKey?.id}`,
        ),
      );
      expect(stored.rows[0]?.secret_hash).toMatch(/^scrypt\$/);
      expect(stored.rows[0]?.secret_hash).not.toContain(created.secret.slice(-32));
      const resolved = await call(client, client.authenticateApiKey, { secret: created.secret });
      expect(resolved.apiKey).toMatchObject({ tenantId: 'acme', scopes: ['numbers:read'] });
    });

    it('rejects a tampered, revoked or expired key as UNAUTHENTICATED', async () => {
      const { secret, apiKey } = await call(
        client,
        client.createApiKey,
        { name: 'short-lived', scopes: ['*'] },
        as('acme'),
      );
      const tampered = `${secret.slice(0, -1)}${secret.endsWith('A') ? 'B' : 'A'}`;
      await expectStatus(
        call(client, client.authenticateApiKey, { secret: tampered }),
        status.UNAUTHENTICATED,
        'API_KEY_INVALID',
      );
      await expectStatus(
        call(client, client.authenticateApiKey, { secret: 'not-a-key' }),
        status.UNAUTHENTICATED,
        'API_KEY_INVALID',
      );
      await withTenant(service.app.runtime.db, 'acme', (tx) =>
        tx.execute(
          sql`update api_keys set expires_at = now() - interval '1 second' where id = ${apiKey?.id}`,
        ),
      );
      await expectStatus(
        call(client, client.authenticateApiKey, { secret }),
        status.UNAUTHENTICATED,
        'API_KEY_EXPIRED',
      );
      await withTenant(service.app.runtime.db, 'acme', (tx) =>
        tx.execute(sql`update api_keys set revoked_at = now() where id = ${apiKey?.id}`),
      );
      await expectStatus(
        call(client, client.authenticateApiKey, { secret }),
        status.UNAUTHENTICATED,
        'API_KEY_REVOKED',
      );
    });

    it('refuses unknown scopes and a past expiry, naming the fields', async () => {
      const { fieldViolations } = await expectStatus(
        call(
          client,
          client.createApiKey,
          { name: 'x', scopes: ['root'], expiresAt: new Date(Date.now() - 1000) },
          as('acme'),
        ),
        status.INVALID_ARGUMENT,
        'API_KEY_INVALID_REQUEST',
      );
      expect(fieldViolations.map((violation) => violation.field)).toEqual(['scopes', 'expiresAt']);
    });
  });

  describe('tenant walls (row-level security)', () => {
    it('covers every tenant table, and holds against hand-written SQL', async () => {
      const { db } = service.app.runtime;
      expect(await expectEveryTenantTableWalled(db)).toEqual(['api_keys', 'tenants']);
      await expectTenantWall(db, {
        table: 'tenants',
        insert: (tenantId) =>
          sql`insert into tenants (tenant_id, name, tenancy_mode, jurisdiction) values (${tenantId}, 'Wall', 'pooled', 'gdpr') on conflict do nothing`,
      });
      await expectTenantWall(db, {
        table: 'api_keys',
        insert: (tenantId) =>
          sql`insert into api_keys (id, tenant_id, lookup_id, name, scopes, secret_hash)
              values (gen_random_uuid(), ${tenantId}, substr(md5(random()::text), 1, 12), 'wall', '{*}', 'x')`,
      });
    });
  });
});
