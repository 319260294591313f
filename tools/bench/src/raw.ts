// What JetStream and PostgreSQL themselves do on this machine, with nothing of Parley's in the way: acked
// publishes of an envelope-sized message, and single-row insert transactions. `bench:events` and
// `bench:messaging` report their figures beside these, so they read as ratios that survive a noisy machine.
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { headers as natsHeaders } from '@nats-io/nats-core';
import { jetstream, jetstreamManager, type PubAck } from '@nats-io/jetstream';
import pg from 'pg';
import { eventsV1 } from '@parley/proto';
import { connectNats } from '@parley/kit';
import type { BenchInfra } from './infra';
import { BENCH_EVENT, benchItemMessage, type BenchItem } from './kitAdapter';

export const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

export function payloadFor(item: number, payloadBytes: number): BenchItem {
  // JSON overhead of {"item":N,"pad":""} is ~20 bytes; pad brings the payload to the size asked for.
  const base = JSON.stringify({ item, pad: '' }).length;
  return { item, pad: 'x'.repeat(Math.max(0, payloadBytes - base)) };
}

/** An envelope as the relay publishes it, so raw publishes carry the same bytes per message. */
function sampleEnvelope(payloadBytes: number): Uint8Array {
  return eventsV1.Envelope.encode(
    eventsV1.Envelope.fromPartial({
      eventId: randomUUID(),
      type: BENCH_EVENT,
      tenantId: 'bench',
      occurredAt: new Date(),
      producer: 'bench',
      traceparent: '',
      tracestate: '',
      payloadType: 'bench.Item',
      payload: Buffer.from(benchItemMessage.encode(payloadFor(0, payloadBytes)).finish()),
    }),
  ).finish();
}

export interface RawResult {
  events: number;
  seconds: number;
  eventsPerSecond: number;
  completed: boolean;
}

/**
 * Acked JetStream publishes, `window` in flight at a time, same message size and headers as the relay's,
 * on a stream of their own that is deleted afterwards. Stops at `deadline` (performance.now() time).
 */
export async function rawPublishes(
  natsUrl: string,
  settings: { events: number; window: number; payloadBytes: number },
  deadline: number,
): Promise<RawResult> {
  const nc = await connectNats({ url: natsUrl, name: 'bench-raw' });
  try {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'BENCHRAW', subjects: ['benchraw.>'] });
    const js = jetstream(nc);
    const data = sampleEnvelope(settings.payloadBytes);
    const publish = () => {
      const headers = natsHeaders();
      headers.set('Parley-Event-Type', BENCH_EVENT);
      headers.set('Parley-Tenant', 'bench');
      return js.publish('benchraw.item.created', data, { msgID: randomUUID(), headers });
    };
    // Warm-up: connection, stream files, JIT.
    await Promise.all(Array.from({ length: Math.min(500, settings.events) }, publish));
    const started = performance.now();
    let sent = 0;
    let acked = 0;
    const inFlight = new Set<Promise<PubAck>>();
    while (acked < settings.events && performance.now() < deadline) {
      while (sent < settings.events && inFlight.size < settings.window) {
        const pending = publish();
        inFlight.add(pending);
        void pending.then(
          () => {
            inFlight.delete(pending);
            acked += 1;
          },
          () => inFlight.delete(pending),
        );
        sent += 1;
      }
      // A refused publish is not counted; the loop goes on and the result says it did not complete.
      await Promise.race(inFlight).catch(() => undefined);
    }
    await Promise.allSettled(inFlight);
    const seconds = (performance.now() - started) / 1000;
    await jsm.streams.delete('BENCHRAW');
    return {
      events: acked,
      seconds: round(seconds, 3),
      eventsPerSecond: Math.round(acked / seconds),
      completed: acked >= settings.events,
    };
  } finally {
    await nc.drain().catch(() => nc.close());
  }
}

/**
 * Single-row insert transactions (each its own commit, as most of a service's writes are) from
 * `connections` clients at once, into a table of their own that is dropped afterwards: the most commits
 * per second this PostgreSQL gives. Stops at `deadline` (performance.now() time).
 */
export async function rawInserts(
  databaseUrl: string,
  settings: { rows: number; connections: number; payloadBytes: number },
  deadline: number,
): Promise<RawResult> {
  const clients = Array.from(
    { length: settings.connections },
    () => new pg.Client({ connectionString: databaseUrl }),
  );
  await Promise.all(clients.map((client) => client.connect()));
  try {
    await clients[0]!.query(
      'create table bench_raw_rows (id uuid primary key, tenant_id text not null, at timestamptz not null default now(), payload text not null)',
    );
    const payload = 'x'.repeat(settings.payloadBytes);
    const insert = (client: pg.Client) =>
      client.query('insert into bench_raw_rows (id, tenant_id, payload) values ($1, $2, $3)', [
        randomUUID(),
        'bench',
        payload,
      ]);
    for (const client of clients) await insert(client); // warm-up: connections, plans
    let next = 0;
    let inserted = 0;
    const started = performance.now();
    await Promise.all(
      clients.map(async (client) => {
        while (next < settings.rows && performance.now() < deadline) {
          next += 1;
          await insert(client);
          inserted += 1;
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    await clients[0]!.query('drop table bench_raw_rows');
    return {
      events: inserted,
      seconds: round(seconds, 3),
      eventsPerSecond: Math.round(inserted / seconds),
      completed: inserted >= settings.rows,
    };
  } finally {
    await Promise.all(clients.map((client) => client.end().catch(() => undefined)));
  }
}

/** The PostgreSQL and nats-server versions of a bench's own servers. */
export async function serverVersions(infra: BenchInfra): Promise<{ postgres?: string; natsServer?: string }> {
  const client = new pg.Client({ connectionString: infra.databaseUrl });
  await client.connect();
  const { rows } = await client.query<{ version: string }>(
    "select current_setting('server_version') as version",
  );
  await client.end();
  const nc = await connectNats({ url: infra.natsUrl, name: 'bench-info' });
  const natsServer = nc.info?.version;
  await nc.close();
  return { postgres: rows[0]?.version, natsServer };
}
