import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { status } from '@grpc/grpc-js';
import { sql } from 'drizzle-orm';
import { Webhook } from 'standardwebhooks';
import { call, createClient, webhookSecretKey, withTenant } from '@parley/kit';
import { messagingV1 } from '@parley/proto';
import { as } from '../../../../tests/support/callers';
import { eventually, expectStatus } from '../../../../tests/support/grpc';
import { at, expectTenantScopedPaging } from '../../../../tests/support/lists';
import { expectEveryTenantTableWalled, expectTenantWall } from '../../../../tests/support/rls';
import { startService, type RunningService } from '../../../../tests/support/service';
import { startWebhookReceiver, type WebhookReceiver } from '../../../../tests/support/webhookReceiver';
import { buildApp, type MessagingApp } from '../../src/app';
import { QUEUES } from '../../src/deps';
import { makeWebhookRetention } from '../../src/jobs/deliverWebhook';
import { loadConfig } from '../../src/config';
import { ABSENT_PEERS } from './messagingForTests';

const Status = messagingV1.WebhookDeliveryStatus;

/** A short retry schedule: backoff from 0.2 s up to 1 s, parked after about 11 s (no carrier, no numbering). */
const shortRetries = {
  ...ABSENT_PEERS,
  WEBHOOK_RETRY_HOURS: '0.003',
  WEBHOOK_RETRY_BASE_SECONDS: '0.2',
  WEBHOOK_RETRY_MAX_SECONDS: '1',
  WEBHOOK_TIMEOUT_MS: '2000',
};

describe('messaging: webhooks out', () => {
  let dev: RunningService<MessagingApp>;
  let strict: RunningService<MessagingApp>;
  let client: messagingV1.MessagingServiceClient;
  let strictClient: messagingV1.MessagingServiceClient;
  const receivers: WebhookReceiver[] = [];

  const receiver = async (answer?: (index: number) => number) => {
    const started = await startWebhookReceiver(answer);
    receivers.push(started);
    return started;
  };

  beforeAll(async () => {
    dev = await startService('messaging', (env) => buildApp(loadConfig(env)), {
      ...shortRetries,
      WEBHOOK_ALLOW_PRIVATE: 'true',
    });
    strict = await startService('messaging-strict', (env) => buildApp(loadConfig(env)), shortRetries);
    const connect = (address: string) =>
      createClient(messagingV1.MessagingServiceClient, address, {
        serviceName: 'parley.messaging.v1.MessagingService',
      });
    client = connect(dev.address);
    strictClient = connect(strict.address);
  });

  afterAll(async () => {
    client?.close();
    strictClient?.close();
    await Promise.all(receivers.map((r) => r.close()));
    await dev?.stop();
    await strict?.stop();
  });

  const createSecret = async (tenantId: string, on = client) =>
    call(on, on.createWebhookSecret, {}, await as(tenantId));

  const enqueue = (
    tenantId: string,
    url: string,
    data: Record<string, unknown> = { messageId: 'm-1' },
    service = dev,
  ) =>
    withTenant(service.app.runtime.db, tenantId, (tx) =>
      service.app.enqueueWebhook(tx, { tenantId, url, type: 'message.delivered', data }),
    );

  const delivery = async (tenantId: string, id: string, on = client) => {
    const page = await call(
      on,
      on.listWebhookDeliveries,
      { status: 0, pageSize: 100, pageToken: '' },
      await as(tenantId),
    );
    const found = page.deliveries.find((d) => d.id === id);
    if (!found) throw new Error(`delivery ${id} not listed`);
    return found;
  };

  const settled = (tenantId: string, id: string, expected: messagingV1.WebhookDeliveryStatus, on = client) =>
    eventually(
      `delivery ${id} to become ${Status[expected]}`,
      async () => {
        const found = await delivery(tenantId, id, on);
        if (found.status !== expected) throw new Error(`still ${Status[found.status]}`);
        return found;
      },
      30_000,
    );

  const verify = (secret: string, received: { headers: Record<string, unknown>; body: string }) =>
    new Webhook(secret).verify(received.body, received.headers as Record<string, string>);

  describe('MessagingService/CreateWebhookSecret, ListWebhookSecrets, RetireWebhookSecret', () => {
    it('answers a whsec_ secret once; listing never shows it again', async () => {
      const created = await createSecret('secrets-a');
      expect(created.value).toMatch(/^whsec_/);
      expect(webhookSecretKey(created.value)).toHaveLength(32);
      const listed = await call(
        client,
        client.listWebhookSecrets,
        { includeExpired: true },
        await as('secrets-a'),
      );
      expect(listed.secrets).toEqual([expect.objectContaining({ id: created.secret!.id, signing: true })]);
      expect(JSON.stringify(listed)).not.toContain(created.value.slice(6));
    });

    it('refuses to retire the only current secret (FAILED_PRECONDITION)', async () => {
      const only = await createSecret('secrets-b');
      await expectStatus(
        call(client, client.retireWebhookSecret, { secretId: only.secret!.id }, await as('secrets-b')),
        status.FAILED_PRECONDITION,
        'WEBHOOK_SECRET_LAST',
      );
    });

    it('retires with a 24-hour overlap by default, and refuses an overlap over 7 days', async () => {
      const old = await createSecret('secrets-c');
      await createSecret('secrets-c');
      await expectStatus(
        call(
          client,
          client.retireWebhookSecret,
          { secretId: old.secret!.id, overlapSeconds: 8 * 86_400 },
          await as('secrets-c'),
        ),
        status.INVALID_ARGUMENT,
        'WEBHOOK_REQUEST_INVALID',
      );
      const { secret } = await call(
        client,
        client.retireWebhookSecret,
        { secretId: old.secret!.id },
        await as('secrets-c'),
      );
      expect(secret!.signing).toBe(true);
      expect(secret!.expiresAt!.getTime() - secret!.retiredAt!.getTime()).toBe(24 * 3_600_000);
    });

    it("cannot see or retire another tenant's secret (NOT_FOUND)", async () => {
      const theirs = await createSecret('secrets-d');
      await createSecret('secrets-e');
      await createSecret('secrets-e');
      await expectStatus(
        call(client, client.retireWebhookSecret, { secretId: theirs.secret!.id }, await as('secrets-e')),
        status.NOT_FOUND,
        'WEBHOOK_SECRET_NOT_FOUND',
      );
      const listed = await call(
        client,
        client.listWebhookSecrets,
        { includeExpired: true },
        await as('secrets-e'),
      );
      expect(listed.secrets.map((s) => s.id)).not.toContain(theirs.secret!.id);
    });

    it('needs webhooks:write to create a secret (PERMISSION_DENIED)', async () => {
      await expectStatus(
        call(client, client.createWebhookSecret, {}, await as('secrets-f', ['webhooks:read'])),
        status.PERMISSION_DENIED,
      );
    });
  });

  describe('delivery', () => {
    it('posts a Standard Webhooks message that the standardwebhooks library verifies', async () => {
      const { value } = await createSecret('deliver-a');
      const target = await receiver();
      const row = await enqueue('deliver-a', target.url, { messageId: 'm-42', status: 'delivered' });
      const done = await settled('deliver-a', row.id, Status.WEBHOOK_DELIVERY_STATUS_DELIVERED);
      expect(done).toEqual(expect.objectContaining({ attempts: 1, lastStatusCode: 200, lastError: '' }));
      expect(target.received).toHaveLength(1);
      expect(target.received[0]!.headers['webhook-id']).toBe(row.id);
      expect(verify(value, target.received[0]!)).toEqual({
        type: 'message.delivered',
        timestamp: row.createdAt.toISOString(),
        data: { messageId: 'm-42', status: 'delivered' },
      });
    });

    it('signs with the old and the new secret during a rotation, and stops using the old once it expires', async () => {
      const old = await createSecret('rotate');
      const fresh = await createSecret('rotate');
      await call(client, client.retireWebhookSecret, { secretId: old.secret!.id }, await as('rotate'));
      const target = await receiver();
      const during = await enqueue('rotate', target.url);
      await settled('rotate', during.id, Status.WEBHOOK_DELIVERY_STATUS_DELIVERED);
      expect(verify(old.value, target.received[0]!)).toBeTruthy();
      expect(verify(fresh.value, target.received[0]!)).toBeTruthy();

      const newer = await createSecret('rotate');
      await call(
        client,
        client.retireWebhookSecret,
        { secretId: fresh.secret!.id, overlapSeconds: 0 },
        await as('rotate'),
      );
      const after = await enqueue('rotate', target.url);
      await settled('rotate', after.id, Status.WEBHOOK_DELIVERY_STATUS_DELIVERED);
      expect(verify(newer.value, target.received[1]!)).toBeTruthy();
      expect(() => verify(fresh.value, target.received[1]!)).toThrow(/No matching signature/);
      expect(() => verify(old.value, target.received[1]!)).not.toThrow();
    });

    it('never posts a Twilio-format delivery unsigned: without identity to sign, it is parked as no_secret', async () => {
      // A webhook secret exists, but a Twilio-format callback is signed with the auth token only (identity's
      // SignTwilioCallback; this messaging has no IDENTITY_ADDR), never with Standard Webhooks instead.
      await createSecret('twilio-unsigned');
      const target = await receiver();
      const row = await withTenant(dev.app.runtime.db, 'twilio-unsigned', (tx) =>
        dev.app.enqueueWebhook(tx, {
          tenantId: 'twilio-unsigned',
          url: target.url,
          type: 'messaging.message.delivered',
          format: 'twilio',
          data: { id: '019a7c3e-8f20-7b41-9c2d-5e6f7a8b9c0d', status: 'delivered', from: '+1', to: '+2' },
        }),
      );
      expect(row.format).toBe('twilio');
      const parked = await settled('twilio-unsigned', row.id, Status.WEBHOOK_DELIVERY_STATUS_FAILED);
      expect(parked.lastError).toBe('no_secret');
      expect(parked.attempts).toBeGreaterThan(0);
      expect(target.received).toHaveLength(0);
    });

    it('retries a receiver that fails for a while and delivers when it recovers, with the same webhook-id', async () => {
      const { value } = await createSecret('recover');
      const target = await receiver((index) => (index < 2 ? 503 : 200));
      const row = await enqueue('recover', target.url);
      const done = await settled('recover', row.id, Status.WEBHOOK_DELIVERY_STATUS_DELIVERED);
      expect(done.attempts).toBe(3);
      expect(target.received.map((r) => r.headers['webhook-id'])).toEqual([row.id, row.id, row.id]);
      for (const attempt of target.received) expect(verify(value, attempt)).toBeTruthy();
    });

    it('parks a delivery as failed when the retry window ends, lists it, and delivers it when retried', async () => {
      await createSecret('park');
      const target = await receiver(() => 500);
      const row = await enqueue('park', target.url);
      const parked = await settled('park', row.id, Status.WEBHOOK_DELIVERY_STATUS_FAILED);
      expect(parked).toEqual(expect.objectContaining({ lastStatusCode: 500, lastError: 'http_status' }));
      expect(parked.attempts).toBeGreaterThan(2);
      const failed = await call(
        client,
        client.listWebhookDeliveries,
        { status: Status.WEBHOOK_DELIVERY_STATUS_FAILED, pageSize: 10, pageToken: '' },
        await as('park'),
      );
      expect(failed.deliveries.map((d) => d.id)).toEqual([row.id]);

      target.answer = () => 200;
      const retried = await call(
        client,
        client.retryWebhookDelivery,
        { deliveryId: row.id },
        await as('park'),
      );
      expect(retried.delivery!.status).toBe(Status.WEBHOOK_DELIVERY_STATUS_PENDING);
      await settled('park', row.id, Status.WEBHOOK_DELIVERY_STATUS_DELIVERED);
      await expectStatus(
        call(client, client.retryWebhookDelivery, { deliveryId: row.id }, await as('park')),
        status.FAILED_PRECONDITION,
        'WEBHOOK_DELIVERY_NOT_RETRYABLE',
      );
      await expectStatus(
        call(client, client.retryWebhookDelivery, { deliveryId: row.id }, await as('park-other')),
        status.NOT_FOUND,
        'WEBHOOK_DELIVERY_NOT_FOUND',
      );
    });

    it('disables the endpoint on 410 Gone: later deliveries to it are not sent until one is retried', async () => {
      await createSecret('gone');
      const target = await receiver(() => 410);
      const first = await enqueue('gone', target.url);
      const disabled = await settled('gone', first.id, Status.WEBHOOK_DELIVERY_STATUS_DISABLED);
      expect(disabled).toEqual(
        expect.objectContaining({ attempts: 1, lastStatusCode: 410, lastError: 'gone' }),
      );
      const second = await enqueue('gone', target.url);
      expect(second.status).toBe('disabled');
      // Another tenant's deliveries to the same URL are not affected.
      await createSecret('gone-other');
      target.answer = (index) => (index === 0 ? 410 : 200);
      const others = await enqueue('gone-other', target.url);
      await settled('gone-other', others.id, Status.WEBHOOK_DELIVERY_STATUS_DELIVERED);
      expect(target.received).toHaveLength(2);

      await call(client, client.retryWebhookDelivery, { deliveryId: second.id }, await as('gone'));
      await settled('gone', second.id, Status.WEBHOOK_DELIVERY_STATUS_DELIVERED);
      expect(target.received.map((r) => r.headers['webhook-id'])).toEqual([first.id, others.id, second.id]);
    });

    it('does not follow a redirect (it is a failed attempt): the redirect target never receives anything', async () => {
      await createSecret('redirect');
      const internal = await receiver();
      const target = await receiver(() => 307);
      target.answerHeaders = { location: internal.url };
      const row = await enqueue('redirect', target.url);
      await eventually('a redirect answer', async () => {
        const found = await delivery('redirect', row.id);
        if (found.attempts < 1) throw new Error('no attempt yet');
        expect(found).toEqual(expect.objectContaining({ lastStatusCode: 307, lastError: 'redirect' }));
      });
      expect(internal.received).toHaveLength(0);
    });
  });

  describe('outside dev mode (WEBHOOK_ALLOW_PRIVATE=false)', () => {
    it('refuses a URL naming a loopback, private or link-local address when it is queued', async () => {
      const target = await receiver();
      for (const url of [
        target.url,
        `http://[::ffff:127.0.0.1]:${target.port}/`,
        'http://169.254.169.254/latest',
      ]) {
        await expect(enqueue('strict', url, {}, strict)).rejects.toMatchObject({
          reason: 'WEBHOOK_URL_INVALID',
        });
      }
      expect(target.received).toHaveLength(0);
    });

    it('parks a delivery whose host name resolves to loopback (localhost), sending nothing', async () => {
      await createSecret('strict', strictClient);
      const target = await receiver();
      const row = await enqueue('strict', `http://localhost:${target.port}/hook`, {}, strict);
      const parked = await settled('strict', row.id, Status.WEBHOOK_DELIVERY_STATUS_FAILED, strictClient);
      expect(parked).toEqual(
        expect.objectContaining({ attempts: 1, lastError: 'address_refused', lastStatusCode: 0 }),
      );
      expect(target.received).toHaveLength(0);
    });
  });

  describe('retention (WEBHOOK_RETENTION_DAYS, default 30)', () => {
    it('queues one retention job per tenant, which deletes finished deliveries past the retention only', async () => {
      const db = dev.app.runtime.db;
      const target = await receiver();
      await enqueue('retention', target.url);
      await enqueue('retention', target.url);
      const queued = await db.execute<{ n: number }>(
        sql`select count(*)::int as n from pgboss.job
             where name = ${QUEUES.webhookRetention} and singleton_key = 'retention' and state = 'created'`,
      );
      expect(queued.rows[0]!.n).toBe(1);

      const old = new Date(Date.now() - 31 * 86_400_000);
      const insert = (status: string, updatedAt: Date) =>
        withTenant(db, 'retention', (tx) =>
          tx.execute<{ id: string }>(sql`
            insert into webhook_deliveries (id, tenant_id, url, type, payload, status, updated_at)
            values (gen_random_uuid(), 'retention', 'https://example.com/', 'message.sent', '{}', ${status}, ${updatedAt})
            returning id`),
        ).then((result) => result.rows[0]!.id);
      const expired = [
        await insert('delivered', old),
        await insert('failed', old),
        await insert('disabled', old),
      ];
      const kept = [await insert('pending', old), await insert('delivered', new Date())];

      const log = dev.app.runtime.log;
      await makeWebhookRetention(dev.app.deps)({
        data: {},
        id: 'test',
        queue: QUEUES.webhookRetention,
        retryCount: 0,
        retryLimit: 0,
        createdOn: new Date(),
        tenantId: 'retention',
        log,
        signal: new AbortController().signal,
      });
      const left = await withTenant(db, 'retention', (tx) =>
        tx.execute<{ id: string }>(sql`select id from webhook_deliveries`),
      );
      const ids = left.rows.map((row) => row.id);
      expect(ids).toEqual(expect.arrayContaining(kept));
      for (const id of expired) expect(ids).not.toContain(id);
    });
  });

  describe('MessagingService/ListWebhookDeliveries', () => {
    const insertDelivery = (tenantId: string, index: number) =>
      sql`insert into webhook_deliveries (id, tenant_id, url, type, payload, status, created_at)
          values (gen_random_uuid(), ${tenantId}, 'https://example.com/hook', 'message.delivered', '{}',
                  'delivered', ${at(index)}) returning id`;

    it("pages through only the caller's deliveries, newest first", async () => {
      await expectTenantScopedPaging(
        {
          insert: async (tenantId, index) => {
            const result = await withTenant(dev.app.runtime.db, tenantId, (tx) =>
              tx.execute<{ id: string }>(insertDelivery(tenantId, index)),
            );
            return result.rows[0]!.id;
          },
          list: async (tenantId, pageSize, pageToken) => {
            const page = await call(
              client,
              client.listWebhookDeliveries,
              { status: 0, pageSize, pageToken },
              await as(tenantId),
            );
            return { ids: page.deliveries.map((d) => d.id), nextPageToken: page.nextPageToken };
          },
        },
        ['paging-a', 'paging-b'],
      );
    });

    it('refuses an unknown status filter (INVALID_ARGUMENT)', async () => {
      await expectStatus(
        call(
          client,
          client.listWebhookDeliveries,
          { status: 99 as messagingV1.WebhookDeliveryStatus, pageSize: 0, pageToken: '' },
          await as('paging-a'),
        ),
        status.INVALID_ARGUMENT,
        'WEBHOOK_REQUEST_INVALID',
      );
    });
  });

  describe('tenant walls (row-level security)', () => {
    it('covers every webhook table, and holds against hand-written SQL', async () => {
      const db = dev.app.runtime.db;
      expect(await expectEveryTenantTableWalled(db)).toEqual(
        expect.arrayContaining(['webhook_secrets', 'webhook_deliveries', 'disabled_webhook_endpoints']),
      );
      await expectTenantWall(db, {
        table: 'webhook_secrets',
        insert: (tenantId) =>
          sql`insert into webhook_secrets (id, tenant_id, secret) values (gen_random_uuid(), ${tenantId}, ${'whsec_' + 'A'.repeat(43) + '='})`,
      });
      await expectTenantWall(db, {
        table: 'webhook_deliveries',
        insert: (tenantId) =>
          sql`insert into webhook_deliveries (id, tenant_id, url, type, payload)
              values (gen_random_uuid(), ${tenantId}, 'https://example.com/', 'message.sent', '{}')`,
      });
      await expectTenantWall(db, {
        table: 'disabled_webhook_endpoints',
        insert: (tenantId) =>
          sql`insert into disabled_webhook_endpoints (tenant_id, url) values (${tenantId}, ${'https://example.com/' + tenantId})`,
      });
    });
  });
});
