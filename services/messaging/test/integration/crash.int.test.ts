// A messaging process SIGKILLed while 1,000 messages are being sent: after a restart every message reaches
// a final status and the SMSC accepted each one exactly once. The messages in hand at the kill are in
// doubt: those the SMSC had accepted are recognised by their receipts and not sent again, the others are
// sent after SMPP_IN_DOUBT_SECONDS.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'drizzle-orm';
import { call, createClient, withTenant } from '@parley/kit';
import { messagingV1, numberingV1 } from '@parley/proto';
import { freePort } from '../../../../tools/dev/src/ports';
import { as } from '../../../../tests/support/callers';
import { startCarrierSim, type CarrierSimHandle } from '../../../../tests/support/carrierSim';
import { eventually } from '../../../../tests/support/grpc';
import { uniquePrefix } from '../../../../tests/support/infra';
import { startService, type RunningService } from '../../../../tests/support/service';
import { ServiceProcesses } from '../../../../tests/support/serviceProcess';
import { buildApp as buildNumbering, type NumberingApp } from '../../../numbering/src/app';
import { loadConfig as numberingConfig } from '../../../numbering/src/config';
import { buyNumber } from './messagingForTests';

const MESSAGES = 1_000;
const SEND_CONCURRENCY = 10;

describe('messaging: SIGKILL while 1,000 messages are being sent', () => {
  let carrier: CarrierSimHandle;
  let numbering: RunningService<NumberingApp>;
  const natsPrefix = uniquePrefix('messaging-crash');
  const messaging = new ServiceProcesses('messaging', natsPrefix);
  const tenant = 'crash';

  beforeAll(async () => {
    // Submits take long enough that some are in flight at the kill.
    carrier = await startCarrierSim({ smppLatencyMs: 40, dlrDelayMs: 50 });
    numbering = await startService('numbering', (env) => buildNumbering(numberingConfig(env)), {
      NATS_PREFIX: natsPrefix,
      ...carrier.env,
    });
    await messaging.open();
  });

  afterAll(async () => {
    await messaging.close();
    await numbering?.stop();
    await carrier?.stop();
  });

  const startMessaging = (port: number) =>
    messaging.start(port, {
      NUMBERING_ADDR: numbering.address,
      ...carrier.messagingEnv,
      SMPP_WINDOW: '10',
      SMPP_RECONNECT_MIN_MS: '50',
      SEND_CONCURRENCY: String(SEND_CONCURRENCY),
      SENDER_RATES: 'long_code:1000',
      SMPP_IN_DOUBT_SECONDS: '15',
    });

  const count = async (condition: ReturnType<typeof sql>) =>
    (
      await withTenant(messaging.db, tenant, (tx) =>
        tx.execute<{ n: number }>(sql`select count(*)::int as n from messages where ${condition}`),
      )
    ).rows[0]!.n;

  it('sends each message exactly once, and every message reaches a final status', async () => {
    const numberingClient = createClient(numberingV1.NumberingServiceClient, numbering.address, {
      serviceName: 'parley.numbering.v1.NumberingService',
    });
    const from = await buyNumber(numberingClient, tenant);
    numberingClient.close();
    const port = await freePort();
    const first = await startMessaging(port);
    const client = createClient(messagingV1.MessagingServiceClient, `127.0.0.1:${port}`, {
      serviceName: 'parley.messaging.v1.MessagingService',
    });
    try {
      const recipients = Array.from(
        { length: MESSAGES },
        (_, index) => `+4479111${String(index).padStart(5, '0')}`,
      );
      // Each message is sent with its own request id, and sent again (same id) while the service is down.
      const send = async (to: string) => {
        const requestId = randomUUID();
        return eventually(
          `message to ${to} accepted`,
          async () => {
            const options = await as(tenant);
            options.metadata.set('parley-request-id', requestId);
            await call(
              client,
              client.sendMessage,
              { from, to, body: `crash ${to}`, mediaUrls: [], statusCallback: '', validityPeriodSeconds: 0 },
              { ...options, timeoutMs: 5_000 },
            );
          },
          180_000,
        );
      };
      const accepting = (async () => {
        for (let index = 0; index < MESSAGES; index += 20)
          await Promise.all(recipients.slice(index, index + 20).map(send));
      })();

      // Killed part-way: once the carrier has a fifth of them.
      await eventually(
        'a fifth of the messages at the SMSC',
        async () => {
          const counters = await carrier.smscCounters();
          if (counters.messagesAccepted! < MESSAGES / 5) throw new Error(`${counters.messagesAccepted}`);
        },
        120_000,
      );
      first.kill('SIGKILL');
      await new Promise((resolve) => first.once('exit', resolve));
      await startMessaging(port);
      await accepting;

      await eventually(
        'every message to reach a final status',
        async () => {
          const open = await count(sql`status not in ('delivered', 'undelivered', 'failed', 'expired')`);
          if (open > 0) throw new Error(`${open} not final`);
        },
        240_000,
      );
      expect(await count(sql`status = 'delivered'`)).toBe(MESSAGES);
      expect(await count(sql`true`)).toBe(MESSAGES);

      const accepted = await carrier.smscMessages({ limit: 100_000 });
      const distinct = new Set(accepted.map((message) => message.to));
      expect(distinct.size).toBe(MESSAGES);
      const counters = await carrier.smscCounters();
      // Nothing accepted twice: a resend would carry the same user_message_reference (a duplicate).
      expect({ accepted: counters.messagesAccepted, duplicates: counters.duplicates }).toEqual({
        accepted: MESSAGES,
        duplicates: 0,
      });
    } finally {
      client.close();
    }
  }, 420_000);
});
