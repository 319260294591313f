import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { status } from '@grpc/grpc-js';
import { sql } from 'drizzle-orm';
import { call, createClient, withTenant } from '@parley/kit';
import { as } from '../../../../tests/support/callers';
import { messagingV1 } from '@parley/proto';
import { startService, type RunningService } from '../../../../tests/support/service';
import { at, expectTenantScopedPaging } from '../../../../tests/support/lists';
import { expectStatus } from '../../../../tests/support/grpc';
import { expectEveryTenantTableWalled, expectTenantWall } from '../../../../tests/support/rls';
import { ABSENT_PEERS } from './messagingForTests';
import { buildApp, type MessagingApp } from '../../src/app';
import { loadConfig } from '../../src/config';

describe('messaging service', () => {
  let service: RunningService<MessagingApp>;
  let client: messagingV1.MessagingServiceClient;

  beforeAll(async () => {
    service = await startService('messaging', (env) => buildApp(loadConfig(env)), ABSENT_PEERS);
    client = createClient(messagingV1.MessagingServiceClient, service.address, {
      serviceName: 'parley.messaging.v1.MessagingService',
    });
  });

  afterAll(async () => {
    client?.close();
    await service?.stop();
  });

  const insertMessage = (tenantId: string, index: number) =>
    sql`insert into messages (tenant_id, id, direction, from_e164, to_e164, encoding, segments, status,
                              expires_at, created_at, updated_at)
        values (${tenantId}, gen_random_uuid(), 'outbound', '+15550000001', '+15550000002', 'GSM-7', 1,
                'delivered', ${at(index)}, ${at(index)}, ${at(index)}) returning id`;

  describe('MessagingService/ListMessages', () => {
    it("pages through only the caller's messages, newest first", async () => {
      await expectTenantScopedPaging({
        insert: async (tenantId, index) => {
          const result = await withTenant(service.app.runtime.db, tenantId, (tx) =>
            tx.execute<{ id: string }>(insertMessage(tenantId, index)),
          );
          return result.rows[0]!.id;
        },
        list: async (tenantId, pageSize, pageToken) => {
          const page = await call(
            client,
            client.listMessages,
            {
              pageSize,
              pageToken,
              phoneNumber: '',
              direction: messagingV1.Direction.DIRECTION_UNSPECIFIED,
              status: '',
            },
            await as(tenantId),
          );
          expect(
            page.messages.every((message) => message.direction === messagingV1.Direction.DIRECTION_OUTBOUND),
          ).toBe(true);
          return { ids: page.messages.map((message) => message.id), nextPageToken: page.nextPageToken };
        },
      });
    });
  });

  describe('MessagingService/SendMessage', () => {
    it('answers UNAVAILABLE, storing nothing, while numbering cannot be asked about the sender', async () => {
      await expectStatus(
        call(
          client,
          client.sendMessage,
          {
            from: '+14155550123',
            to: '+447911123456',
            body: 'hello',
            mediaUrls: [],
            statusCallback: '',
            validityPeriodSeconds: 0,
          },
          { ...(await as('no-numbering')), timeoutMs: 15_000 },
        ),
        status.UNAVAILABLE,
        'UPSTREAM_UNAVAILABLE',
      );
      const stored = await withTenant(service.app.runtime.db, 'no-numbering', (tx) =>
        tx.execute<{ n: number }>(sql`select count(*)::int as n from messages`),
      );
      expect(stored.rows[0]!.n).toBe(0);
    });
  });

  describe('maintenance', () => {
    it('forgets carrier ids of parts sent more than 30 days ago, of every tenant, and keeps newer ones', async () => {
      const insertPart = (tenantId: string, carrierId: string, age: string) =>
        withTenant(service.app.runtime.db, tenantId, (tx) =>
          tx.execute(sql`insert into carrier_parts (carrier_message_id, tenant_id, message_id, message_created_at, part, created_at)
                         values (${carrierId}, ${tenantId}, gen_random_uuid(), now(), 1, now() - ${age}::interval)`),
        );
      await insertPart('old-a', 'c-old-a', '31 days');
      await insertPart('old-b', 'c-old-b', '40 days');
      await insertPart('old-a', 'c-new-a', '29 days');
      expect(await service.app.deps.messages.purgeCarrierParts(service.app.runtime.db)).toBe(2);
      const left = await service.app.runtime.db.execute<{ id: string }>(
        sql`select carrier_message_id as id from carrier_parts where carrier_message_id like 'c-%'`,
      );
      expect(left.rows.map((row) => row.id)).toEqual(['c-new-a']);
    });
  });

  describe('tenant walls (row-level security)', () => {
    it('covers every tenant table, and holds against hand-written SQL', async () => {
      expect(await expectEveryTenantTableWalled(service.app.runtime.db)).toEqual([
        'call_recordings',
        'calls',
        'carrier_calls',
        'carrier_parts',
        'disabled_webhook_endpoints',
        'inbound_parts',
        'kept_calls',
        'message_status_history',
        'messages',
        'messaging_settings',
        'opt_outs',
        'sender_pacing',
        'webhook_deliveries',
        'webhook_secrets',
      ]);
      await expectTenantWall(service.app.runtime.db, {
        table: 'messages',
        insert: (tenantId) => insertMessage(tenantId, 0),
      });
      await expectTenantWall(service.app.runtime.db, {
        table: 'opt_outs',
        insert: (tenantId) =>
          sql`insert into opt_outs (tenant_id, number_e164, recipient_hash, opted_out, keyword)
              values (${tenantId}, '+15550000001', md5(random()::text), true, 'STOP')`,
      });
      await expectTenantWall(service.app.runtime.db, {
        table: 'inbound_parts',
        insert: (tenantId) =>
          sql`insert into inbound_parts (tenant_id, group_key, seq, total, from_e164, to_e164, encoding, text)
              values (${tenantId}, md5(random()::text), 1, 2, '+15550000002', '+15550000001', 'GSM-7', 'half')`,
      });
    });
  });
});
