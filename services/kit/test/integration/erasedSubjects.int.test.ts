import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'drizzle-orm';
import type { NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import {
  connectNats,
  createDatabase,
  createLogger,
  createPool,
  ensureStream,
  identifierHashes,
  InboxConsumer,
  locateAssets,
  migrate,
  Naming,
  Outbox,
  OutboxRelay,
  recordTombstone,
  withTenant,
  type Database,
  type EventHandler,
  type SubjectIdentifiers,
} from '@parley/kit';
import type pg from 'pg';
import {
  createTestDatabase,
  testInfra,
  uniquePrefix,
  type TestDatabase,
} from '../../../../tests/support/infra';
import { itemMessage, ITEM_EVENT, type Item } from './fixtures/itemEvent';

const log = createLogger({ service: 'kit-test', version: 'test', level: 'silent' });
const TENANT = 'acme';
const OLD_KEY = 'subject-key-before-rotation-0123456789';
const KEYS = { current: 'subject-key-after-rotation-01234567890', previous: [OLD_KEY] };
const phone = (value: string): SubjectIdentifiers => ({
  accountIds: [],
  emails: [],
  phones: [value],
  userIds: [],
});

/**
 * Every consumer reads the erasure tombstones, without calling `isErased` itself: the inbox drops an event
 * about an erased subject before the handler runs, whether the producer declared the subject (its hashes
 * travel with the event) or the consumer names it from the payload (matched under every subject hash key).
 */
describe('kit events: events about an erased subject', () => {
  let database: TestDatabase;
  let pool: pg.Pool;
  let db: Database;
  let nats: NatsConnection;
  let relay: OutboxRelay;
  const consumers: InboxConsumer<Item>[] = [];
  const naming = new Naming(uniquePrefix('erased'));
  const outbox = new Outbox('kittest', KEYS);

  /** A consumer that writes what it is given and knows nothing of erasure. */
  const handler = (name: string, extra: Partial<EventHandler<Item>> = {}): EventHandler<Item> => ({
    durable: `kittest-${name}-on-item-created`,
    eventType: ITEM_EVENT,
    messageType: itemMessage,
    async handle(tx, event) {
      await tx.execute(
        sql`insert into effects (event_id, item, key, worker) values (${event.envelope.eventId}, ${event.payload.item}, ${event.payload.key ?? ''}, ${name})`,
      );
    },
    ...extra,
  });

  beforeAll(async () => {
    database = await createTestDatabase('erased');
    pool = createPool(database.url, 8);
    await migrate(pool, [locateAssets(__dirname).migrations[0]!], { mode: 'apply', log });
    await pool.query(
      'create table effects (applied bigserial, event_id uuid not null, item integer not null, key text, worker text)',
    );
    db = createDatabase(pool);
    nats = await connectNats({ url: testInfra().natsUrl, name: 'kit-test-erased' });
    const jsm = await jetstreamManager(nats);
    await ensureStream(jsm, naming, 'kittest');
    relay = new OutboxRelay({ pool, js: jetstream(nats), naming, log, outbox, maxAttempts: 2, pollMs: 100 });
    await relay.start();
    for (const [name, extra] of [
      ['naive', {}],
      ['naming', { subject: (event) => (event.payload.key ? phone(event.payload.key) : undefined) }],
      ['privacy-task-like', { erasedSubjects: 'apply' }],
    ] as [string, Partial<EventHandler<Item>>][]) {
      const consumer = new InboxConsumer({
        db,
        js: jetstream(nats),
        jsm,
        naming,
        log,
        handler: handler(name, extra),
        settings: {
          backoffMs: [300, 600],
          maxDeliver: 100,
          concurrency: 2,
          batchSize: 8,
          orderWaitMs: 20_000,
        },
        afterCommit: () => outbox.committed(),
        subjectHashKeys: KEYS,
      });
      await consumer.start();
      await consumer.attached;
      consumers.push(consumer);
    }
  });

  afterAll(async () => {
    for (const consumer of consumers) await consumer.stop();
    await relay?.stop();
    await nats?.close();
    await pool?.end();
    await database?.drop();
  });

  it('is dropped by every consumer but the one that must act on it, and the others are applied', async () => {
    await withTenant(db, TENANT, async (tx) => {
      // Erased now, under the current key; and erased before the key was rotated, under the old one.
      await recordTombstone(tx, TENANT, identifierHashes(KEYS, TENANT, phone('+447700900001')));
      await recordTombstone(tx, TENANT, identifierHashes(OLD_KEY, TENANT, phone('+447700900002')));
    });
    const send = (item: number, key: string, declared: boolean) =>
      outbox.transaction(db, (tx) =>
        outbox.enqueue(tx, {
          type: ITEM_EVENT,
          tenantId: TENANT,
          key,
          payloadType: 'kittest.Item',
          messageType: itemMessage,
          payload: { item, key },
          ...(declared ? { subject: phone(key) } : {}),
        }),
      );
    await send(1, '+447700900001', true); // the producer declares the erased subject
    await send(2, '+447700900002', false); // only the payload names them, erased before the rotation
    await send(3, '+447700900003', true); // nobody erased

    const deadline = Date.now() + 30_000;
    for (;;) {
      const handled = await pool.query<{ n: string }>('select count(*) as n from kit_inbox');
      if (Number(handled.rows[0]!.n) === 9) break;
      if (Date.now() > deadline) throw new Error(`only ${handled.rows[0]!.n} of 9 deliveries handled`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const effects = await pool.query<{ worker: string; item: number }>(
      'select worker, item from effects order by worker, item',
    );
    expect(effects.rows.map((row) => `${row.worker}:${row.item}`)).toEqual([
      // The producer declared subject 1: nobody that creates data applies it. Subject 2 was only in the
      // payload: the consumer that names it drops it, one that does not cannot know.
      'naive:2',
      'naive:3',
      'naming:3',
      'privacy-task-like:1',
      'privacy-task-like:2',
      'privacy-task-like:3',
    ]);
  });
});
