import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'drizzle-orm';
import type { NatsConnection } from '@nats-io/transport-node';
import { AckPolicy, jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import {
  connectNats,
  createDatabase,
  createLogger,
  createPool,
  discardDeadLetter,
  ensureStream,
  InboxConsumer,
  invalidArgument,
  listDeadLetters,
  locateAssets,
  migrate,
  Naming,
  Outbox,
  OutboxRelay,
  replayDeadLetter,
  runEventHousekeeping,
  withTenant,
  type Database,
  type EventHandler,
} from '@parley/kit';
import type pg from 'pg';
import {
  createTestDatabase,
  testInfra,
  uniquePrefix,
  type TestDatabase,
} from '../../../../tests/support/infra';
import { itemMessage, ITEM_EVENT, type Item } from './fixtures/itemEvent';

const KEYS = 20;
/** Items per aggregate: 20 before the relays start, 2 while one relay runs, 2 while none does. */
const PER_KEY = 24;
const EVENTS = KEYS * PER_KEY;
const repoRoot = join(__dirname, '..', '..', '..', '..');
const log = createLogger({ service: 'kit-test', version: 'test', level: 'silent' });

function startWorker(role: 'relay' | 'consumer', env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ['--conditions=parley-source', '--import', 'tsx', join(__dirname, 'fixtures', 'eventWorker.ts'), role],
    { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`${role} worker exited with ${code} before it was ready`)));
  });
}

function kill(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function freshDatabase(label: string) {
  const database = await createTestDatabase(label);
  const pool = createPool(database.url, 8);
  await migrate(pool, [locateAssets(__dirname).migrations[0]!], { mode: 'apply', log });
  await pool.query(
    'create table effects (applied bigserial, event_id uuid not null, item integer not null, key text, worker text)',
  );
  return { database, pool, db: createDatabase(pool) };
}

function itemEvent(payload: Item) {
  return {
    type: ITEM_EVENT,
    tenantId: 'acme',
    key: payload.key,
    payloadType: 'kittest.Item',
    messageType: itemMessage,
    payload,
  };
}

describe('kit events: transactional outbox and inbox', () => {
  let database: TestDatabase;
  let pool: pg.Pool;
  let db: Database;
  const prefix = uniquePrefix('outbox');

  beforeAll(async () => {
    ({ database, pool, db } = await freshDatabase('outbox'));
  });

  afterAll(async () => {
    await pool.end();
    await database.drop();
  });

  describe('with two relays and two consumer replicas, killed part-way and restarted', () => {
    it('applies every event exactly once, and the events of each aggregate in commit order', async () => {
      const outbox = new Outbox('kittest');
      const eventIds: string[] = [];
      // Each aggregate's events are committed one transaction after another (two per transaction), the
      // aggregates interleaved: per key, item order is commit order.
      const produce = (from: number, to: number) =>
        Promise.all(
          Array.from({ length: KEYS }, async (_, key) => {
            for (let item = from; item <= to; item += 2) {
              await outbox.transaction(db, async (tx) => {
                for (const n of [item, item + 1]) {
                  eventIds.push(await outbox.enqueue(tx, itemEvent({ item: n, key: `item:${key}` })));
                }
              });
            }
          }),
        );
      await produce(1, 20);
      const count = async (query: string) => Number((await pool.query<{ n: string }>(query)).rows[0]?.n ?? 0);
      // Published rows leave the outbox: what was produced and is no longer there has been published.
      const published = async () => eventIds.length - (await count('select count(*) as n from kit_outbox'));
      const applied = () => count('select count(*) as n from effects');
      const env = { DATABASE_URL: database.url, NATS_URL: testInfra().natsUrl, NATS_PREFIX: prefix };

      // Two relays at once: one publishes, the other stands by and takes over when the first dies.
      const relays = await Promise.all([
        startWorker('relay', { ...env, WORKER_NAME: 'relay-a' }),
        startWorker('relay', { ...env, WORKER_NAME: 'relay-b' }),
      ]);
      await waitFor('the relays to publish some events', async () => (await published()) >= 60);
      await kill(relays[0]!);
      // Whichever of the two was active, the one left publishes what comes next (a relay may be fast
      // enough to have published everything before the kill, so new events are what proves it).
      await produce(21, 22);
      await waitFor('the other relay to carry on', async () => (await published()) === eventIds.length);
      await kill(relays[1]!);
      // With no relay running, these wait in the outbox until the relays are restarted.
      await produce(23, 24);
      expect(eventIds).toHaveLength(EVENTS);
      expect(await published()).toBeLessThan(EVENTS);

      const consumers = await Promise.all([
        startWorker('consumer', { ...env, WORKER_NAME: 'consumer-a' }),
        startWorker('consumer', { ...env, WORKER_NAME: 'consumer-b' }),
      ]);
      await waitFor('the consumers to apply some events', async () => (await applied()) >= 40);
      await kill(consumers[0]!);
      const afterConsumerKill = await applied();
      const reachable = await published();
      await waitFor(
        'the other consumer to carry on',
        async () => (await applied()) >= Math.min(reachable, afterConsumerKill + 20),
      );
      await kill(consumers[1]!);
      expect(await applied()).toBeLessThan(EVENTS);

      const again = await Promise.all([
        startWorker('relay', { ...env, WORKER_NAME: 'relay-c' }),
        startWorker('relay', { ...env, WORKER_NAME: 'relay-d' }),
        startWorker('consumer', { ...env, WORKER_NAME: 'consumer-c' }),
        startWorker('consumer', { ...env, WORKER_NAME: 'consumer-d' }),
      ]);
      try {
        await waitFor(
          'every event to be applied',
          async () => (await applied()) >= EVENTS && (await published()) === EVENTS,
          120_000,
        );
        // Give a late redelivery the chance to (wrongly) apply something twice before we count.
        await sleep(2_000);
      } finally {
        await Promise.all(again.map(kill));
      }

      const perEvent = await pool.query<{ event_id: string; times: string }>(
        `select event_id, count(*) as times from effects group by event_id`,
      );
      const times = new Map(perEvent.rows.map((row) => [row.event_id, Number(row.times)]));
      expect(eventIds.filter((id) => times.get(id) !== 1)).toEqual([]);
      expect(perEvent.rows).toHaveLength(EVENTS);
      expect(
        await count(`select count(*) as n from kit_inbox where consumer = 'kittest-on-item-created'`),
      ).toBe(EVENTS);

      // Per aggregate, the order applied is the order committed.
      const order = await pool.query<{ key: string; items: number[] }>(
        `select key, array_agg(item order by applied) as items from effects group by key order by key`,
      );
      expect(order.rows).toHaveLength(KEYS);
      const expected = Array.from({ length: PER_KEY }, (_, index) => index + 1);
      expect(order.rows.filter((row) => row.items.join(',') !== expected.join(','))).toEqual([]);

      // The stream itself holds each event once: a publish repeated after a crash was dropped by Nats-Msg-Id.
      const nats = await connectNats({ url: testInfra().natsUrl, name: 'kit-test-check' });
      try {
        const jsm = await jetstreamManager(nats);
        const info = await jsm.streams.info(new Naming(prefix).stream('kittest').name);
        expect(info.state.messages).toBe(EVENTS);
      } finally {
        await nats.close();
      }
    }, 240_000);
  });

  describe('when the state change rolls back', () => {
    it('leaves no event behind', async () => {
      const outbox = new Outbox('kittest');
      const before = Number(
        (await pool.query<{ n: string }>('select count(*) as n from kit_outbox')).rows[0]?.n,
      );
      await expect(
        db.transaction(async (tx) => {
          await outbox.enqueue(tx, itemEvent({ item: -1 }));
          throw new Error('state change failed');
        }),
      ).rejects.toThrow('state change failed');
      const after = Number(
        (await pool.query<{ n: string }>('select count(*) as n from kit_outbox')).rows[0]?.n,
      );
      expect(after).toBe(before);
    });
  });

  describe('event ids', () => {
    it('sort by time (UUIDv7)', async () => {
      const outbox = new Outbox('kittest');
      const ids = await db.transaction(async (tx) => [
        await outbox.enqueue(tx, itemEvent({ item: -2 })),
        await outbox.enqueue(tx, itemEvent({ item: -3 })),
      ]);
      await pool.query('delete from kit_outbox where event_id = any($1::uuid[])', [ids]);
      expect(ids.every((id) => id[14] === '7')).toBe(true);
      expect([...ids].sort()).toEqual(ids);
    });
  });
});

describe('kit events: poison, transient failures and dead letters', () => {
  let database: TestDatabase;
  let pool: pg.Pool;
  let db: Database;
  let nats: NatsConnection;
  let jsm: JetStreamManager;
  let relay: OutboxRelay;
  let consumer: InboxConsumer<Item>;
  const prefix = uniquePrefix('poison');
  const naming = new Naming(prefix);
  const outbox = new Outbox('kittest');
  const calls = new Map<number, number>();
  const state = { dependencyUp: true, acceptInvalid: false };

  const handler: EventHandler<Item> = {
    durable: 'kittest-on-item-created',
    eventType: ITEM_EVENT,
    messageType: itemMessage,
    async handle(tx, event) {
      const { item, fail } = event.payload;
      calls.set(item, (calls.get(item) ?? 0) + 1);
      if (fail === 'invalid' && !state.acceptInvalid) {
        throw invalidArgument('ITEM_INVALID', 'the item is not valid');
      }
      if (fail === 'dependency' && !state.dependencyUp)
        throw new Error('connect ECONNREFUSED (dependency down)');
      await tx.execute(
        sql`insert into effects (event_id, item, key) values (${event.envelope.eventId}, ${item}, ${event.payload.key ?? ''})`,
      );
    },
  };

  function newConsumer(): InboxConsumer<Item> {
    return new InboxConsumer({
      db,
      js: jetstream(nats),
      jsm,
      naming,
      log,
      handler,
      // A short server-side backoff, so retries happen within the test.
      settings: { backoffMs: [300, 600], maxDeliver: 100, concurrency: 4, batchSize: 8, orderWaitMs: 20_000 },
      afterCommit: () => outbox.committed(),
    });
  }

  const enqueue = (payload: Item) => outbox.transaction(db, (tx) => outbox.enqueue(tx, itemEvent(payload)));
  const appliedItems = async () =>
    (await pool.query<{ item: number }>('select item from effects order by applied')).rows.map(
      (row) => row.item,
    );
  const deadLetters = async () =>
    (await listDeadLetters(db, { tenantId: '', reason: '', pageSize: 100, pageToken: '' })).deadLetters;

  beforeAll(async () => {
    ({ database, pool, db } = await freshDatabase('poison'));
    nats = await connectNats({ url: testInfra().natsUrl, name: 'kit-test-poison' });
    jsm = await jetstreamManager(nats);
    await ensureStream(jsm, naming, 'kittest');
    relay = new OutboxRelay({
      pool,
      js: jetstream(nats),
      naming,
      log,
      outbox,
      maxAttempts: 2,
      pollMs: 100,
    });
    await relay.start();
    consumer = newConsumer();
    await consumer.start();
    await consumer.attached;
  });

  afterAll(async () => {
    await consumer?.stop();
    await relay?.stop();
    await nats?.close();
    await pool?.end();
    await database?.drop();
  });

  describe('a validation failure', () => {
    it('is parked at once with its reason, does not hold back its aggregate, and is never delivered again', async () => {
      const stream = naming.stream('kittest').name;
      const deliveries = async () =>
        (await jsm.consumers.info(stream, handler.durable)).delivered.consumer_seq;
      const before = await deliveries();
      await enqueue({ item: 1001, key: 'poison:1', fail: 'invalid' });
      await enqueue({ item: 1002, key: 'poison:1' });
      await waitFor('the event behind the poison to be applied', async () =>
        (await appliedItems()).includes(1002),
      );
      const parked = (await deadLetters()).filter((entry) => entry.reason === 'ITEM_INVALID');
      expect(parked).toHaveLength(1);
      expect(parked[0]).toMatchObject({ consumer: 'kittest-on-item-created', attempts: 1, tenantId: 'acme' });
      expect(JSON.parse(Buffer.from(parked[0]!.payload).toString('utf8'))).toMatchObject({ item: 1001 });
      expect(calls.get(1001)).toBe(1);

      // Several backoff periods later, and after the consumer restarts, it has not come back.
      await sleep(2_000);
      await consumer.stop();
      consumer = newConsumer();
      await consumer.start();
      await sleep(2_000);
      expect(calls.get(1001)).toBe(1);
      // The server itself never sent it again: two deliveries in all, one per event.
      expect((await deliveries()) - before).toBe(2);
      const info = await jsm.consumers.info(stream, handler.durable);
      expect(info.num_ack_pending).toBe(0);
    });

    it('is replayed through the inbox once the handler accepts it, and the replay is deduplicated', async () => {
      const [entry] = (await deadLetters()).filter((letter) => letter.reason === 'ITEM_INVALID');
      await expect(
        replayDeadLetter(db, entry!.id, new Map([[handler.durable, consumer]])),
      ).rejects.toMatchObject({
        reason: 'REPLAY_FAILED',
      });
      state.acceptInvalid = true;
      const consumers = new Map([[handler.durable, consumer as InboxConsumer<unknown>]]);
      expect(await replayDeadLetter(db, entry!.id, consumers)).toEqual({ outcome: 'applied' });
      expect((await appliedItems()).filter((item) => item === 1001)).toHaveLength(1);
      expect((await deadLetters()).map((letter) => letter.id)).not.toContain(entry!.id);
      await expect(replayDeadLetter(db, entry!.id, consumers)).rejects.toMatchObject({
        reason: 'DEAD_LETTER_NOT_FOUND',
      });
      state.acceptInvalid = false;
    });

    it('can be discarded', async () => {
      await enqueue({ item: 1101, fail: 'invalid' });
      await waitFor('the event to be parked', async () =>
        (await deadLetters()).some((letter) => letter.reason === 'ITEM_INVALID'),
      );
      const [entry] = (await deadLetters()).filter((letter) => letter.reason === 'ITEM_INVALID');
      await discardDeadLetter(db, entry!.id);
      expect(await deadLetters()).toEqual([]);
      expect(await appliedItems()).not.toContain(1101);
      await expect(discardDeadLetter(db, entry!.id)).rejects.toMatchObject({
        reason: 'DEAD_LETTER_NOT_FOUND',
      });
    });
  });

  describe('a handler whose dependency is down', () => {
    it('is retried with the server-side backoff, not parked, and succeeds when the dependency returns', async () => {
      state.dependencyUp = false;
      await enqueue({ item: 2001, key: 'dep:1', fail: 'dependency' });
      await enqueue({ item: 2002, key: 'dep:1' });
      await waitFor('a few retries', async () => (calls.get(2001) ?? 0) >= 3, 20_000);
      expect(await deadLetters()).toEqual([]);
      // The aggregate's next event waits for it.
      expect(await appliedItems()).not.toContain(2002);
      state.dependencyUp = true;
      await waitFor('both events to be applied', async () => {
        const items = await appliedItems();
        return items.includes(2001) && items.includes(2002);
      });
      const items = await appliedItems();
      expect(items.indexOf(2001)).toBeLessThan(items.indexOf(2002));
      expect(await deadLetters()).toEqual([]);
    });
  });

  describe('an outbox row the server refuses', () => {
    it('is parked after the configured attempts without holding back the rows behind it, and can be replayed', async () => {
      const stream = naming.stream('kittest').name;
      const info = await jsm.streams.info(stream);
      await jsm.streams.update(stream, { ...info.config, max_msg_size: 16 * 1024 });
      await enqueue({ item: 3001, key: 'big:1', padding: 'x'.repeat(64 * 1024) });
      await enqueue({ item: 3002, key: 'big:1' });
      await enqueue({ item: 3003 });
      await waitFor('the rows behind it to be applied', async () => {
        const items = await appliedItems();
        return items.includes(3002) && items.includes(3003);
      });
      const [entry] = await deadLetters();
      expect(entry).toMatchObject({ reason: 'PUBLISH_REFUSED', attempts: 2, consumer: '' });
      expect(Number((await pool.query('select count(*) as n from kit_outbox')).rows[0].n)).toBe(0);

      await jsm.streams.update(stream, { ...info.config, max_msg_size: -1 });
      expect(await replayDeadLetter(db, entry!.id, new Map())).toEqual({ outcome: 'requeued' });
      await waitFor('the replayed row to be applied', async () => (await appliedItems()).includes(3001));
      expect(await deadLetters()).toEqual([]);
    });
  });

  describe('an outbox row whose stream does not exist yet', () => {
    it('is retried, never parked, and published once its owner creates the stream', async () => {
      const event = { ...itemEvent({ item: 4001 }), type: 'kitghost.item.created' };
      await outbox.transaction(db, (tx) => outbox.enqueue(tx, event));
      await sleep(1_500);
      const row = await pool.query<{ attempts: number }>(
        `select attempts from kit_outbox where event_type = 'kitghost.item.created'`,
      );
      expect(row.rows).toEqual([{ attempts: 0 }]);
      expect(await deadLetters()).toEqual([]);
      await ensureStream(jsm, naming, 'kitghost');
      await waitFor(
        'the row to be published',
        async () => Number((await pool.query('select count(*) as n from kit_outbox')).rows[0].n) === 0,
      );
      const ghost = await jsm.streams.info(naming.stream('kitghost').name);
      expect(ghost.state.messages).toBe(1);
    });
  });

  describe('streams and consumers', () => {
    const consumerFor = (
      eventType: string,
      durable: string,
      settings: { backoffMs: number[]; maxDeliver: number },
    ) =>
      new InboxConsumer({
        db,
        js: jetstream(nats),
        jsm,
        naming,
        log,
        settings,
        handler: { durable, eventType, messageType: itemMessage, handle: async () => undefined },
      });

    it("takes the producer's stream replicas, max age and max bytes from its settings, and applies changes", async () => {
      const name = await ensureStream(jsm, naming, 'kitcfg', {
        replicas: 1,
        maxAgeMs: 3_600_000,
        maxBytes: 1_000_000,
      });
      let info = await jsm.streams.info(name);
      expect(info.config).toMatchObject({
        num_replicas: 1,
        max_age: 3_600_000 * 1_000_000,
        max_bytes: 1_000_000,
      });
      await ensureStream(jsm, naming, 'kitcfg', { replicas: 1, maxAgeMs: 7_200_000, maxBytes: -1 });
      info = await jsm.streams.info(name);
      expect(info.config).toMatchObject({ max_age: 7_200_000 * 1_000_000, max_bytes: -1 });
    });

    it('applies changed backoff and max deliver to a consumer created with older settings', async () => {
      const stream = naming.stream('kitcfg').name;
      await jsm.consumers.add(stream, {
        durable_name: 'kitcfg-on-thing-happened',
        ack_policy: AckPolicy.Explicit,
        filter_subject: naming.subject('kitcfg.thing.happened'),
        ack_wait: 30_000 * 1_000_000,
      });
      const upgraded = consumerFor('kitcfg.thing.happened', 'kitcfg-on-thing-happened', {
        backoffMs: [400, 800],
        maxDeliver: 7,
      });
      await upgraded.start();
      try {
        await waitFor('the consumer settings to be updated', async () => {
          const info = await jsm.consumers.info(stream, 'kitcfg-on-thing-happened');
          return info.config.max_deliver === 7 && (info.config.backoff ?? []).length === 2;
        });
        const info = await jsm.consumers.info(stream, 'kitcfg-on-thing-happened');
        expect(info.config).toMatchObject({
          ack_wait: 400 * 1_000_000,
          backoff: [400 * 1_000_000, 800 * 1_000_000],
        });
      } finally {
        await upgraded.stop();
      }
    });

    it("waits for another service's stream instead of creating it", async () => {
      const waiting = consumerFor('kitlate.thing.happened', 'kitcfg-on-late-thing', {
        backoffMs: [400],
        maxDeliver: 5,
      });
      await waiting.start();
      try {
        await sleep(700);
        await expect(jsm.streams.info(naming.stream('kitlate').name)).rejects.toThrow(/not found/);
        await ensureStream(jsm, naming, 'kitlate');
        let attached = false;
        void waiting.attached.then(() => (attached = true));
        await waitFor('the consumer to attach', async () => attached, 30_000);
        await jsm.consumers.info(naming.stream('kitlate').name, 'kitcfg-on-late-thing');
      } finally {
        await waiting.stop();
      }
    });
  });

  describe('housekeeping', () => {
    it('purges dead letters past the retention window and keeps younger ones', async () => {
      await pool.query(
        `insert into kit_dead_letters (id, source, event_id, event_type, envelope, reason, error, attempts, parked_at)
         values (gen_random_uuid(), 'outbox', gen_random_uuid(), 'kittest.item.created', '\\x00', 'PUBLISH_REFUSED', 'x', 1, now() - interval '15 days'),
                (gen_random_uuid(), 'outbox', gen_random_uuid(), 'kittest.item.created', '\\x00', 'PUBLISH_REFUSED', 'x', 1, now() - interval '13 days')`,
      );
      await pool.query(
        `insert into kit_inbox (consumer, event_id, handled_at) values ('old', gen_random_uuid(), now() - interval '30 days')`,
      );
      const counts = await runEventHousekeeping(db, { deadLetterDays: 14, streamMaxAgeMs: 7 * 86_400_000 });
      expect(counts).toMatchObject({ deadLetters: 1, inbox: 1 });
      const left = await pool.query<{ age: number }>(
        `select extract(day from now() - parked_at)::int as age from kit_dead_letters`,
      );
      expect(left.rows).toEqual([{ age: 13 }]);
      await pool.query('delete from kit_dead_letters');
    });
  });
});

describe('kit events: waking the relay', () => {
  it('publishes an event as soon as the withTenant transaction that enqueued it commits, without polling', async () => {
    const { database, pool, db } = await freshDatabase('wake');
    const nats = await connectNats({ url: testInfra().natsUrl, name: 'kit-test-wake' });
    const naming = new Naming(uniquePrefix('wake'));
    const outbox = new Outbox('kittest');
    const relay = new OutboxRelay({ pool, js: jetstream(nats), naming, log, outbox, pollMs: 600_000 });
    try {
      await ensureStream(await jetstreamManager(nats), naming, 'kittest');
      await relay.start();
      await waitFor('the relay to become active', async () => relay.isActive);
      // Its first look found nothing; with a ten-minute poll only the after-commit wake can publish this.
      await sleep(300);
      await withTenant(db, 'acme', (tx) => outbox.enqueue(tx, itemEvent({ item: 1 })));
      await waitFor(
        'the event to be published',
        async () => Number((await pool.query('select count(*) as n from kit_outbox')).rows[0].n) === 0,
        3_000,
      );
    } finally {
      await relay.stop();
      await nats.close();
      await pool.end();
      await database.drop();
    }
  });
});
