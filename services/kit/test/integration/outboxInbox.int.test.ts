import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { jetstreamManager } from '@nats-io/jetstream';
import {
  connectNats,
  createDatabase,
  createLogger,
  createPool,
  locateAssets,
  migrate,
  Naming,
  Outbox,
  OutboxRelay,
  type Database,
} from '@parley/kit';
import type pg from 'pg';
import {
  createTestDatabase,
  testInfra,
  uniquePrefix,
  type TestDatabase,
} from '../../../../tests/support/infra';
import { itemMessage, ITEM_EVENT } from './fixtures/itemEvent';

const EVENTS = 400;
const repoRoot = join(__dirname, '..', '..', '..', '..');

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

describe('kit events: transactional outbox and inbox', () => {
  let database: TestDatabase;
  let pool: pg.Pool;
  let db: Database;
  const prefix = uniquePrefix('outbox');

  beforeAll(async () => {
    database = await createTestDatabase('outbox');
    pool = createPool(database.url, 4);
    db = createDatabase(pool);
    const log = createLogger({ service: 'kit-test', version: 'test', level: 'silent' });
    await migrate(pool, [locateAssets(__dirname).migrations[0]!], { mode: 'apply', log });
    await pool.query('create table effects (event_id uuid not null, item integer not null)');
  });

  afterAll(async () => {
    await pool.end();
    await database.drop();
  });

  describe('when the relay and the consumer are killed part-way and restarted', () => {
    it('applies every event exactly once', async () => {
      const outbox = new Outbox('kittest');
      for (let batch = 0; batch < EVENTS / 10; batch += 1) {
        await db.transaction(async (tx) => {
          for (let index = 0; index < 10; index += 1) {
            await outbox.enqueue(tx, {
              type: ITEM_EVENT,
              tenantId: 'acme',
              payloadType: 'kittest.Item',
              messageType: itemMessage,
              payload: { item: batch * 10 + index },
            });
          }
        });
      }
      const count = async (query: string) => Number((await pool.query<{ n: string }>(query)).rows[0]?.n ?? 0);
      const published = () => count('select count(*) as n from kit_outbox where published_at is not null');
      const applied = () => count('select count(*) as n from effects');
      const env = { DATABASE_URL: database.url, NATS_URL: testInfra().natsUrl, NATS_PREFIX: prefix };

      const relay = await startWorker('relay', env);
      await waitFor('the relay to publish some events', async () => (await published()) >= 60);
      await kill(relay);
      const publishedBeforeKill = await published();
      expect(publishedBeforeKill).toBeLessThan(EVENTS);

      const consumer = await startWorker('consumer', env);
      await waitFor('the consumer to apply some events', async () => (await applied()) >= 30);
      await kill(consumer);
      expect(await applied()).toBeLessThan(EVENTS);

      const [relayAgain, consumerAgain] = await Promise.all([
        startWorker('relay', env),
        startWorker('consumer', env),
      ]);
      try {
        await waitFor(
          'every event to be applied',
          async () => (await applied()) >= EVENTS && (await published()) === EVENTS,
        );
        // Give a late redelivery the chance to (wrongly) apply something twice before we count.
        await new Promise((resolve) => setTimeout(resolve, 2_000));
      } finally {
        await Promise.all([kill(relayAgain), kill(consumerAgain)]);
      }

      const perEvent = await pool.query<{ event_id: string; times: string }>(
        `select o.event_id, count(e.event_id) as times from kit_outbox o left join effects e using (event_id) group by o.event_id`,
      );
      expect(perEvent.rows).toHaveLength(EVENTS);
      expect(perEvent.rows.filter((row) => Number(row.times) !== 1)).toEqual([]);
      expect(await count('select count(distinct item) as n from effects')).toBe(EVENTS);
      expect(
        await count(`select count(*) as n from kit_inbox where consumer = 'kittest-on-item-created'`),
      ).toBe(EVENTS);

      // The stream itself holds each event once: a publish repeated after a crash was dropped by Nats-Msg-Id.
      const nats = await connectNats({ url: testInfra().natsUrl, name: 'kit-test-check' });
      try {
        const jsm = await jetstreamManager(nats);
        const info = await jsm.streams.info(new Naming(prefix).stream('kittest').name);
        expect(info.state.messages).toBe(EVENTS);
      } finally {
        await nats.close();
      }
    }, 180_000);
  });

  describe('when the state change rolls back', () => {
    it('leaves no event behind', async () => {
      const outbox = new Outbox('kittest');
      const before = Number(
        (await pool.query<{ n: string }>('select count(*) as n from kit_outbox')).rows[0]?.n,
      );
      await expect(
        db.transaction(async (tx) => {
          await outbox.enqueue(tx, {
            type: ITEM_EVENT,
            tenantId: 'acme',
            payloadType: 'kittest.Item',
            messageType: itemMessage,
            payload: { item: -1 },
          });
          throw new Error('state change failed');
        }),
      ).rejects.toThrow('state change failed');
      const after = Number(
        (await pool.query<{ n: string }>('select count(*) as n from kit_outbox')).rows[0]?.n,
      );
      expect(after).toBe(before);
    });
  });
});

describe('kit events: published events do not linger', () => {
  it('prunes published outbox rows past their keep time, never unpublished ones', async () => {
    const database = await createTestDatabase('prune');
    const pool = createPool(database.url, 2);
    try {
      const log = createLogger({ service: 'kit-test', version: 'test', level: 'silent' });
      await migrate(pool, [locateAssets(__dirname).migrations[0]!], { mode: 'apply', log });
      await pool.query(
        `insert into kit_outbox (event_id, event_type, envelope, published_at) values
           (gen_random_uuid(), 'kittest.item.created', '\\x00', now() - interval '3 days'),
           (gen_random_uuid(), 'kittest.item.created', '\\x00', now()),
           (gen_random_uuid(), 'kittest.item.created', '\\x00', null)`,
      );
      await pool.query(
        `update kit_outbox set created_at = now() - interval '3 days' where published_at is null`,
      );
      const relay = new OutboxRelay({ pool, js: undefined as never, naming: new Naming(), log });
      expect(await relay.prune(1)).toBe(1);
      const left = await pool.query<{ published: boolean }>(
        'select published_at is not null as published from kit_outbox order by seq',
      );
      expect(left.rows.map((row) => row.published)).toEqual([true, false]);
    } finally {
      await pool.end();
      await database.drop();
    }
  });
});
