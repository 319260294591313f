import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'drizzle-orm';
import { call, createClient, withTenant } from '@parley/kit';
import { as } from '../../../../tests/support/callers';
import { privacyV1 } from '@parley/proto';
import { startService, type RunningService } from '../../../../tests/support/service';
import { at, expectTenantScopedPaging } from '../../../../tests/support/lists';
import { expectEveryTenantTableWalled, expectTenantWall } from '../../../../tests/support/rls';
import { buildApp, type PrivacyApp } from '../../src/app';
import { loadConfig } from '../../src/config';

describe('privacy service', () => {
  let service: RunningService<PrivacyApp>;
  let client: privacyV1.PrivacyServiceClient;

  beforeAll(async () => {
    service = await startService('privacy', (env) => buildApp(loadConfig(env)), {
      IDENTITY_ADDR: '127.0.0.1:1',
      PRIVACY_PARTICIPANTS: 'privacy=127.0.0.1:1',
      PRIVACY_ARCHIVE_KEY: 'test-archive-key-0123456789abcdefghijkl',
      DEADLINE_SCAN_CRON: 'off',
      RETENTION_RUN_AT: 'off',
    });
    client = createClient(privacyV1.PrivacyServiceClient, service.address, {
      serviceName: 'parley.privacy.v1.PrivacyService',
    });
  });

  afterAll(async () => {
    client?.close();
    await service?.stop();
  });

  const insertRequest = (tenantId: string, index: number) =>
    sql`insert into subject_requests (tenant_id, type, received_at, due_at)
        values (${tenantId}, 'access', ${at(index)}, ${at(index + 30 * 86_400)}) returning id`;

  describe('PrivacyService/ListRequests', () => {
    it("pages through only the caller's requests, newest first", async () => {
      await expectTenantScopedPaging({
        insert: async (tenantId, index) => {
          const result = await withTenant(service.app.runtime.db, tenantId, (tx) =>
            tx.execute<{ id: string }>(insertRequest(tenantId, index)),
          );
          return result.rows[0]!.id;
        },
        list: async (tenantId, pageSize, pageToken) => {
          const page = await call(
            client,
            client.listRequests,
            { pageSize, pageToken, state: '', type: '', overdue: false },
            await as(tenantId),
          );
          expect(
            page.requests.every((request) => request.state === 'received' && request.type === 'access'),
          ).toBe(true);
          return { ids: page.requests.map((request) => request.id), nextPageToken: page.nextPageToken };
        },
      });
    });
  });

  describe('tenant walls (row-level security)', () => {
    it('covers every tenant table, and holds against hand-written SQL', async () => {
      expect(await expectEveryTenantTableWalled(service.app.runtime.db)).toEqual([
        'archive_chunks',
        'archives',
        'audit_log',
        'breaches',
        'consents',
        'export_records',
        'intake_counters',
        'legal_holds',
        'mailbox',
        'request_tasks',
        'retention_policies',
        'retention_runs',
        'subject_requests',
        'verification_codes',
      ]);
      await expectTenantWall(service.app.runtime.db, {
        table: 'subject_requests',
        insert: (tenantId) => insertRequest(tenantId, 0),
      });
    });
  });
});
