import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { sql } from 'drizzle-orm';
import { call, createClient, withTenant } from '@parley/kit';
import { as } from '../../../../tests/support/callers';
import { numberingV1 } from '@parley/proto';
import { startCarrierSim, type CarrierSimHandle } from '../../../../tests/support/carrierSim';
import { startService, type RunningService } from '../../../../tests/support/service';
import { at, expectTenantScopedPaging } from '../../../../tests/support/lists';
import { expectTenantWall } from '../../../../tests/support/rls';
import { buildApp, type NumberingApp } from '../../src/app';
import { loadConfig } from '../../src/config';

describe('numbering service', () => {
  let service: RunningService<NumberingApp>;
  let carrier: CarrierSimHandle;
  let client: numberingV1.NumberingServiceClient;
  let sequence = 0;

  beforeAll(async () => {
    carrier = await startCarrierSim();
    service = await startService('numbering', (env) => buildApp(loadConfig(env)), carrier.env);
    client = createClient(numberingV1.NumberingServiceClient, service.address, {
      serviceName: 'parley.numbering.v1.NumberingService',
    });
  });

  afterAll(async () => {
    client?.close();
    await service?.stop();
    await carrier?.stop();
  });

  const insertNumber = (tenantId: string, index: number) => {
    sequence += 1;
    return sql`insert into numbers (tenant_id, e164, country, assigned_at)
               values (${tenantId}, ${`+1555${String(1_000_000 + sequence).slice(1)}`}, 'US', ${at(index)}) returning id`;
  };

  describe('NumberingService/ListNumbers', () => {
    it("pages through only the caller's numbers, newest first", async () => {
      await expectTenantScopedPaging({
        insert: async (tenantId, index) => {
          const result = await withTenant(service.app.runtime.db, tenantId, (tx) =>
            tx.execute<{ id: string }>(insertNumber(tenantId, index)),
          );
          return result.rows[0]!.id;
        },
        list: async (tenantId, pageSize, pageToken) => {
          const page = await call(
            client,
            client.listNumbers,
            { pageSize, pageToken, capability: '', status: '', country: '', accountId: '' },
            await as(tenantId),
          );
          return { ids: page.numbers.map((number) => number.id), nextPageToken: page.nextPageToken };
        },
      });
    });
  });

  describe('tenant walls (row-level security)', () => {
    it('holds on numbers against hand-written SQL', async () => {
      await expectTenantWall(service.app.runtime.db, {
        table: 'numbers',
        insert: (tenantId) => insertNumber(tenantId, 0),
      });
    });
  });
});
