// The one file that knows the kit's events API. The benchmark drives an `EventPipeline`; when the kit's
// outbox relay or inbox consumer change shape (pipelined publishes, in-process wake-up, batching,
// replicas), adjust this file only.
//
// Kit calls made here: migrate(pool, [kit migrations]) · createPool · createDatabase · withTenant ·
// new Outbox('bench').enqueue(tx, event) · ensureStream(jsm, naming, 'bench') ·
// new OutboxRelay({ pool, js, naming, log, outbox, batchSize, pollMs }).start()/.stop() ·
// new InboxConsumer({ db, js, jsm, naming, log, handler }).start()/.stop() · connectNats · Naming.
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { sql } from 'drizzle-orm';
import type pg from 'pg';
import {
  connectNats,
  createDatabase,
  createPool,
  ensureStream,
  InboxConsumer,
  locateAssets,
  migrate,
  Naming,
  Outbox,
  OutboxRelay,
  withTenant,
  type Logger,
  type MessageType,
} from '@parley/kit';

export const BENCH_EVENT = 'bench.item.created';

export interface BenchItem {
  item: number;
  pad: string;
}

/** The payload, shaped like a ts-proto message; JSON keeps it readable and sized by `pad`. */
export const benchItemMessage: MessageType<BenchItem> = {
  encode: (message) => ({ finish: () => Buffer.from(JSON.stringify(message)) }),
  decode: (input) => JSON.parse(Buffer.from(input).toString('utf8')) as BenchItem,
  fromPartial: (object: never) => object as BenchItem,
};

export interface PipelineOptions {
  databaseUrl: string;
  natsUrl: string;
  log: Logger;
  /** Connections for producers (one transaction each at a time). */
  producerConnections: number;
  /** Relay processes' worth of relays in this process (each with its own pool and connection). */
  relays: number;
  /** Inbox consumers on the same durable (competing replicas). */
  consumers: number;
  relayBatchSize: number;
  relayPollMs: number;
}

export interface EventPipeline {
  /**
   * One producer transaction, as a service writes it: a domain row and an outbox event per item, with the
   * tenant set for row-level security. Resolves after COMMIT with the event ids.
   */
  produce(tenantId: string, items: BenchItem[]): Promise<string[]>;
  /** Starts relays and consumers; `onHandled` runs inside the consumer's handler for every event applied. */
  start(onHandled: (eventId: string) => void): Promise<void>;
  stop(): Promise<void>;
}

export async function createKitPipeline(options: PipelineOptions): Promise<EventPipeline> {
  const pools: pg.Pool[] = [];
  const connections: NatsConnection[] = [];
  const newPool = (size: number) => {
    const pool = createPool(options.databaseUrl, size);
    pools.push(pool);
    return pool;
  };
  const newNats = async (name: string) => {
    const nc = await connectNats({ url: options.natsUrl, name });
    connections.push(nc);
    return nc;
  };
  const producerPool = newPool(options.producerConnections + 1);
  const producerDb = createDatabase(producerPool);
  const kitMigrations = locateAssets(__dirname).migrations.filter((source) => source.scope === 'kit');
  await migrate(producerPool, kitMigrations, { mode: 'apply', log: options.log });
  await producerPool.query(`create table if not exists bench_items (
    id bigserial primary key,
    tenant_id text not null,
    item integer not null,
    created_at timestamptz not null default now()
  )`);
  const naming = new Naming();
  const outbox = new Outbox('bench');
  /** Distinct aggregates the events are about (each is applied in order, different ones in parallel). */
  const AGGREGATES = 1_000;
  const running: { stop(): Promise<void> }[] = [];

  return {
    async produce(tenantId, items) {
      return withTenant(producerDb, tenantId, async (tx) => {
        const ids: string[] = [];
        for (const payload of items) {
          await tx.execute(
            sql`insert into bench_items (tenant_id, item) values (${tenantId}, ${payload.item})`,
          );
          ids.push(
            await outbox.enqueue(tx, {
              type: BENCH_EVENT,
              tenantId,
              // Realistic events name their aggregate: consumers then apply each one's events in order.
              key: `item:${payload.item % AGGREGATES}`,
              payloadType: 'bench.Item',
              messageType: benchItemMessage,
              payload,
            }),
          );
        }
        return ids;
      });
    },

    async start(onHandled) {
      const setup = await newNats('bench-setup');
      await ensureStream(await jetstreamManager(setup), naming, 'bench');
      for (let index = 0; index < options.consumers; index += 1) {
        const nc = await newNats(`bench-consumer-${index}`);
        const consumer = new InboxConsumer<BenchItem>({
          db: createDatabase(newPool(4)),
          js: jetstream(nc),
          jsm: await jetstreamManager(nc),
          naming,
          log: options.log,
          handler: {
            durable: 'bench-on-item-created',
            eventType: BENCH_EVENT,
            messageType: benchItemMessage,
            async handle(_tx, event) {
              onHandled(event.envelope.eventId);
            },
          },
        });
        await consumer.start();
        running.push(consumer);
      }
      for (let index = 0; index < options.relays; index += 1) {
        const nc = await newNats(`bench-relay-${index}`);
        const relay = new OutboxRelay({
          pool: newPool(3),
          js: jetstream(nc),
          naming,
          log: options.log,
          // The producer commits in this process: the outbox wakes the relay after each commit.
          outbox,
          batchSize: options.relayBatchSize,
          pollMs: options.relayPollMs,
        });
        await relay.start();
        running.push(relay);
      }
    },

    async stop() {
      // Relays first (they feed the consumers), then consumers, then connections and pools.
      for (const part of running.reverse()) await part.stop().catch(() => undefined);
      for (const nc of connections) await nc.drain().catch(() => nc.close());
      for (const pool of pools) await pool.end().catch(() => undefined);
    },
  };
}
