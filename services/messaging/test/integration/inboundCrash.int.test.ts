// A messaging process SIGKILLed while inbound messages (some of three parts) arrive over SMPP: after a
// restart every message is stored exactly once, whole. A deliver_sm is answered only after its commit, so
// the SMSC sends again whatever was in flight at the kill, and a part stored before the kill whose answer
// was lost changes nothing the second time.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'drizzle-orm';
import { createClient, withTenant } from '@parley/kit';
import { numberingV1 } from '@parley/proto';
import { freePort } from '../../../../tools/dev/src/ports';
import { startCarrierSim, type CarrierSimHandle } from '../../../../tests/support/carrierSim';
import { eventually } from '../../../../tests/support/grpc';
import { uniquePrefix } from '../../../../tests/support/infra';
import { startService, type RunningService } from '../../../../tests/support/service';
import { ServiceProcesses } from '../../../../tests/support/serviceProcess';
import { buildApp as buildNumbering, type NumberingApp } from '../../../numbering/src/app';
import { loadConfig as numberingConfig } from '../../../numbering/src/config';
import { buyNumber } from './messagingForTests';

const MESSAGES = 200;

describe('messaging: SIGKILL while inbound messages arrive', () => {
  let carrier: CarrierSimHandle;
  let numbering: RunningService<NumberingApp>;
  const natsPrefix = uniquePrefix('messaging-inbound-crash');
  const messaging = new ServiceProcesses('messaging', natsPrefix);
  const tenant = 'inbound-crash';

  beforeAll(async () => {
    carrier = await startCarrierSim();
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
      SMPP_RECONNECT_MIN_MS: '50',
    });

  const inbound = () =>
    withTenant(messaging.db, tenant, (tx) =>
      tx.execute<{ body: string; segments: number; n: number }>(
        sql`select body, segments, count(*)::int as n from messages where direction = 'inbound' group by body, segments`,
      ),
    );

  it('stores every message once and whole', async () => {
    const numberingClient = createClient(numberingV1.NumberingServiceClient, numbering.address, {
      serviceName: 'parley.numbering.v1.NumberingService',
    });
    const to = await buyNumber(numberingClient, tenant);
    numberingClient.close();
    const port = await freePort();
    const first = await startMessaging(port);

    // Every fifth message is long (three parts); each text is its own.
    const texts = Array.from({ length: MESSAGES }, (_, index) =>
      index % 5 === 0 ? `long ${index} ${'x'.repeat(320)}` : `short ${index}`,
    );
    for (const [index, text] of texts.entries())
      await carrier.inbound({ from: `+4479111${String(index).padStart(5, '0')}`, to, text });

    await eventually(
      'a fifth of the messages stored',
      async () => {
        const stored = (await inbound()).rows.length;
        if (stored < MESSAGES / 5) throw new Error(`${stored}`);
      },
      60_000,
    );
    first.kill('SIGKILL');
    await new Promise((resolve) => first.once('exit', resolve));
    // Killed part-way: messages were still to come.
    const storedAtKill = (await inbound()).rows.length;
    expect(storedAtKill).toBeLessThan(MESSAGES);
    await startMessaging(port);

    await eventually(
      'every message stored and every deliver_sm answered',
      async () => {
        const stored = (await inbound()).rows.length;
        const counters = await carrier.smscCounters();
        if (stored < MESSAGES || counters.deliveriesPending! > 0)
          throw new Error(`${stored} stored, ${counters.deliveriesPending} pending`);
      },
      120_000,
    );
    const rows = (await inbound()).rows;
    // The SMSC sent parts again (those in flight at the kill, and those answered too late): the premise.
    const parts = texts.reduce((sum, text) => sum + (text.startsWith('long') ? 3 : 1), 0);
    expect((await carrier.smscCounters()).inboundSent).toBeGreaterThan(parts);
    expect(rows.filter((row) => row.n !== 1)).toEqual([]);
    expect(rows.map((row) => row.body).sort()).toEqual([...texts].sort());
    expect(rows.filter((row) => row.segments === 3)).toHaveLength(MESSAGES / 5);
    // Parts of a message waiting for siblings: none left.
    const waiting = await withTenant(messaging.db, tenant, (tx) =>
      tx.execute<{ n: number }>(sql`select count(*)::int as n from inbound_parts where message_id is null`),
    );
    expect(waiting.rows[0]!.n).toBe(0);
  }, 300_000);
});
