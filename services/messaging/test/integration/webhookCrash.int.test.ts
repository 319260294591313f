// A messaging process SIGKILLed while it is posting a webhook: the delivery is not lost.
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  call,
  createClient,
  createDatabase,
  createLogger,
  createPool,
  Jobs,
  withTenant,
  type Database,
} from '@parley/kit';
import { messagingV1 } from '@parley/proto';
import type pg from 'pg';
import { freePort } from '../../../../tools/dev/src/ports';
import { as } from '../../../../tests/support/callers';
import { eventually } from '../../../../tests/support/grpc';
import { createTestDatabase, uniquePrefix, type TestDatabase } from '../../../../tests/support/infra';
import { serviceProcessEnv, startServiceProcess } from '../../../../tests/support/serviceProcess';
import { startWebhookReceiver, type WebhookReceiver } from '../../../../tests/support/webhookReceiver';
import { WebhookRepository } from '../../src/db/webhooks';
import { enqueueWebhook } from '../../src/jobs/deliverWebhook';
import { ABSENT_PEERS } from './messagingForTests';

describe('messaging: SIGKILL while a webhook is being posted', () => {
  let database: TestDatabase;
  let pool: pg.Pool;
  let db: Database;
  let jobs: Jobs;
  let receiver: WebhookReceiver;
  const children: ChildProcess[] = [];
  const natsPrefix = uniquePrefix('messaging-crash');
  let port = 0;

  beforeAll(async () => {
    database = await createTestDatabase('messaging-crash');
    pool = createPool(database.url, 2);
    db = createDatabase(pool);
    port = await freePort();
    receiver = await startWebhookReceiver();
  });

  afterAll(async () => {
    for (const child of children)
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await jobs?.stop(1);
    await receiver?.close();
    await pool?.end();
    await database?.drop();
  });

  const startMessaging = () =>
    startServiceProcess(
      'messaging',
      {
        ...serviceProcessEnv('messaging', { databaseUrl: database.url, natsPrefix, grpcPort: port }),
        ...ABSENT_PEERS,
        WEBHOOK_ALLOW_PRIVATE: 'true',
        WEBHOOK_TIMEOUT_MS: '3000',
      },
      children,
    );

  it('delivers the webhook after a restart, with the same webhook-id', async () => {
    const first = await startMessaging();
    const client = createClient(messagingV1.MessagingServiceClient, `127.0.0.1:${port}`, {
      serviceName: 'parley.messaging.v1.MessagingService',
    });
    try {
      await call(client, client.createWebhookSecret, {}, await as('crash'));
      // Stands for the send path: a job queue on the same database, sending in the tenant's transaction.
      // It also supervises, and looks for lost jobs often, so the test does not wait a minute for that.
      jobs = new Jobs({
        connectionString: database.url,
        schema: 'pgboss',
        service: 'messaging-test',
        log: createLogger({ service: 'messaging-test', version: '0', level: 'silent' }),
        tuning: { superviseIntervalSeconds: 1, monitorIntervalSeconds: 1 },
      });
      await jobs.start({ migrate: false });
      // The first request is held open: the worker is mid-post when it dies. Later ones are answered 200.
      const held = new Promise<void>((resolve) => {
        receiver.answer = (index) => {
          if (index > 0) return 200;
          resolve();
          return undefined;
        };
      });
      const row = await withTenant(db, 'crash', (tx) =>
        enqueueWebhook(
          {
            jobs,
            webhooks: new WebhookRepository(db),
            webhookPolicy: {
              allowPrivate: true,
              retentionMs: 86_400_000,
              retry: { windowMs: 3_600_000, baseDelayMs: 200, maxDelayMs: 1000 },
            },
            now: () => new Date(),
          },
          tx,
          { tenantId: 'crash', url: receiver.url, type: 'message.delivered', data: { messageId: 'm-1' } },
        ),
      );
      await held;
      first.kill('SIGKILL');
      await new Promise((resolve) => first.once('exit', resolve));

      await startMessaging();
      const done = await eventually(
        'the delivery to be delivered after the restart',
        async () => {
          const page = await call(
            client,
            client.listWebhookDeliveries,
            {
              status: messagingV1.WebhookDeliveryStatus.WEBHOOK_DELIVERY_STATUS_DELIVERED,
              pageSize: 10,
              pageToken: '',
            },
            await as('crash'),
          );
          const found = page.deliveries.find((d) => d.id === row.id);
          if (!found) throw new Error('not delivered yet');
          return found;
        },
        150_000,
      );
      expect(done.attempts).toBe(1);
      expect(receiver.received.length).toBeGreaterThanOrEqual(2);
      expect(new Set(receiver.received.map((r) => r.headers['webhook-id']))).toEqual(new Set([row.id]));
    } finally {
      client.close();
    }
  }, 200_000);
});
