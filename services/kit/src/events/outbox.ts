import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type pg from 'pg';
import { metrics } from '@opentelemetry/api';
import { headers as natsHeaders } from '@nats-io/nats-core';
import type { JetStreamClient } from '@nats-io/jetstream';
import { eventsV1 } from '@parley/proto';
import type { Transaction } from '../db/database';
import type { Logger } from '../logging';
import { injectTraceContext } from '../telemetry';
import type { Naming } from './streams';

/** A protobuf message type as ts-proto generates it. */
export interface MessageType<T> {
  encode(message: T): { finish(): Uint8Array };
  decode(input: Uint8Array): T;
  fromPartial(object: never): T;
}

export interface NewEvent<T> {
  /** `<service>.<entity>.<past-verb>`, e.g. `identity.tenant.created`. */
  type: string;
  tenantId: string;
  payloadType: string;
  messageType: MessageType<T>;
  payload: T;
}

/**
 * The producer side of the outbox: `enqueue` writes the event in the caller's transaction, so the event
 * exists if and only if the state change that caused it committed.
 */
export class Outbox {
  constructor(private readonly producer: string) {}

  async enqueue<T>(tx: Transaction, event: NewEvent<T>): Promise<string> {
    const eventId = randomUUID();
    const trace = injectTraceContext({});
    const envelope = eventsV1.Envelope.encode({
      eventId,
      type: event.type,
      tenantId: event.tenantId,
      occurredAt: new Date(),
      producer: this.producer,
      traceparent: trace.traceparent ?? '',
      tracestate: trace.tracestate ?? '',
      payloadType: event.payloadType,
      payload: Buffer.from(event.messageType.encode(event.payload).finish()),
    }).finish();
    await tx.execute(
      sql`insert into kit_outbox (event_id, event_type, tenant_id, envelope) values (${eventId}, ${event.type}, ${event.tenantId}, ${Buffer.from(envelope)})`,
    );
    return eventId;
  }
}

const meter = metrics.getMeter('parley-kit');

export interface RelayOptions {
  pool: pg.Pool;
  js: JetStreamClient;
  naming: Naming;
  log: Logger;
  batchSize?: number;
  /** Longest wait between looks when no NOTIFY arrives. */
  pollMs?: number;
  /** How long published events stay in the outbox (days, default 1), and how often that is enforced. */
  keepPublishedDays?: number;
  pruneEveryMs?: number;
}

interface OutboxRow {
  seq: string;
  event_id: string;
  event_type: string;
  tenant_id: string;
  envelope: Buffer;
}

/**
 * Publishes outbox rows to JetStream in commit order with `Nats-Msg-Id` = event id, then marks them
 * sent. If the process dies between publishing and marking, the row is published again on restart and
 * JetStream's duplicate window (and every consumer's inbox) drops the second copy.
 */
export class OutboxRelay {
  private running = false;
  private loop?: Promise<void>;
  private wake?: () => void;
  private listener?: pg.PoolClient;
  private unpublished = 0;
  private oldestAgeSeconds = 0;

  constructor(private readonly options: RelayOptions) {
    meter
      .createObservableGauge('outbox_unpublished_events', {
        description: 'Events in the outbox not yet published',
      })
      .addCallback((result) => result.observe(this.unpublished));
    meter
      .createObservableGauge('outbox_oldest_unpublished_age_seconds', {
        description: 'Age of the oldest unpublished outbox event (outbox lag)',
      })
      .addCallback((result) => result.observe(this.oldestAgeSeconds));
  }

  async start(): Promise<void> {
    this.running = true;
    this.listener = await this.options.pool.connect();
    this.listener.on('notification', () => this.wake?.());
    // A dropped LISTEN connection only costs the wake-up; polling carries on.
    this.listener.on('error', (error) =>
      this.options.log.warn({ err: error }, 'outbox listener connection lost'),
    );
    await this.listener.query('listen kit_outbox');
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    if (this.listener) {
      await this.listener.query('unlisten kit_outbox').catch(() => undefined);
      this.listener.release();
    }
  }

  private async run(): Promise<void> {
    let failures = 0;
    let prunedAt = 0;
    while (this.running) {
      try {
        const published = await this.publishBatch();
        failures = 0;
        // Published events have served their purpose; they may carry personal data, so they do not stay.
        if (Date.now() - prunedAt > (this.options.pruneEveryMs ?? 3_600_000)) {
          prunedAt = Date.now();
          const pruned = await this.prune(this.options.keepPublishedDays ?? 1);
          if (pruned > 0) this.options.log.info({ pruned }, 'published outbox events pruned');
        }
        if (published >= (this.options.batchSize ?? 100)) continue;
        await this.sleep(this.options.pollMs ?? 1_000);
      } catch (error) {
        failures += 1;
        this.options.log.warn({ err: error, failures }, 'outbox relay failed; retrying');
        await this.sleep(Math.min(30_000, 200 * 2 ** Math.min(failures, 8)));
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }

  /** Publishes one batch; returns how many rows it handled. */
  async publishBatch(): Promise<number> {
    const client = await this.options.pool.connect();
    try {
      await client.query('begin');
      const { rows } = await client.query<OutboxRow>(
        `select seq, event_id, event_type, tenant_id, envelope from kit_outbox
          where published_at is null order by seq limit $1 for update skip locked`,
        [this.options.batchSize ?? 100],
      );
      const sent: string[] = [];
      let failure: unknown;
      for (const row of rows) {
        try {
          await this.publish(row);
          sent.push(row.seq);
        } catch (error) {
          failure = error;
          await client.query(
            'update kit_outbox set attempts = attempts + 1, last_error = $2 where seq = $1',
            [row.seq, String((error as Error).message).slice(0, 500)],
          );
          break;
        }
      }
      if (sent.length > 0) {
        await client.query('update kit_outbox set published_at = now() where seq = any($1::bigint[])', [
          sent,
        ]);
      }
      await client.query('commit');
      await this.measure(client);
      if (failure) throw failure;
      return rows.length;
    } catch (error) {
      await client.query('rollback').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  private async publish(row: OutboxRow): Promise<void> {
    const envelope = eventsV1.Envelope.decode(row.envelope);
    const headers = natsHeaders();
    headers.set('Parley-Event-Type', row.event_type);
    if (row.tenant_id) headers.set('Parley-Tenant', row.tenant_id);
    if (envelope.traceparent) headers.set('traceparent', envelope.traceparent);
    if (envelope.tracestate) headers.set('tracestate', envelope.tracestate);
    await this.options.js.publish(this.options.naming.subject(row.event_type), row.envelope, {
      msgID: row.event_id,
      headers,
    });
  }

  private async measure(client: pg.PoolClient): Promise<void> {
    const { rows } = await client.query<{ count: string; age: number | null }>(
      `select count(*) as count, extract(epoch from now() - min(created_at))::float8 as age
         from kit_outbox where published_at is null`,
    );
    this.unpublished = Number(rows[0]?.count ?? 0);
    this.oldestAgeSeconds = rows[0]?.age ?? 0;
  }

  /** Deletes published rows older than `days` (they have served their purpose). */
  async prune(days: number): Promise<number> {
    const result = await this.options.pool.query(
      `delete from kit_outbox where published_at is not null and published_at < now() - make_interval(secs => $1)`,
      [days * 86_400],
    );
    return result.rowCount ?? 0;
  }
}
