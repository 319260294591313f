import { sql } from 'drizzle-orm';
import type pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { metrics } from '@opentelemetry/api';
import { headers as natsHeaders } from '@nats-io/nats-core';
import type { JetStreamClient } from '@nats-io/jetstream';
import { eventsV1 } from '@parley/proto';
import type { Database, Transaction } from '../db/database';
import { afterCommit, withTenant } from '../db/database';
import type { Logger } from '../logging';
import { injectTraceContext } from '../telemetry';
import { identifierHashes, type SubjectHashKeys, type SubjectIdentifiers } from '../privacy/subjects';
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
  /**
   * The aggregate the event is about, `<entity>:<id>` (e.g. `message:0190f1c2-...`). Consumers apply the
   * events of one type and key in the order their transactions committed. Without a key, no order is
   * promised.
   */
  key?: string;
  /**
   * The data subject the event is about, if any. Only salted hashes of the identifiers are stored with
   * the event, so that a parked copy can be erased with the subject.
   */
  subject?: SubjectIdentifiers;
}

/** Headers the relay sets on every message. */
export const EVENT_HEADERS = {
  type: 'Parley-Event-Type',
  tenant: 'Parley-Tenant',
  /** Set on the marker published in place of an outbox row that was parked: "skip this version". */
  parked: 'Parley-Parked',
  key: 'Parley-Aggregate-Key',
  version: 'Parley-Aggregate-Version',
  epoch: 'Parley-Aggregate-Epoch',
} as const;

/**
 * The producer side of the outbox: `enqueue` writes the event in the caller's transaction, so the event
 * exists if and only if the state change that caused it committed. The relay of this process is woken
 * once the transaction commits when it runs through the kit's `withTenant` (or this class's
 * `transaction`/`withTenant`); after a plain `db.transaction`, call `committed()`, or the relay finds the
 * event on its next poll.
 */
export class Outbox {
  private readonly listeners = new Set<() => void>();
  private readonly wake = () => this.committed();

  /**
   * @param producer the service name
   * @param subjectSecret the secret that salts subject identifier hashes (services/kit/PRIVACY.md);
   *   required to enqueue events that name a subject
   */
  constructor(
    private readonly producer: string,
    private readonly subjectSecret?: SubjectHashKeys,
  ) {}

  async enqueue<T>(tx: Transaction, event: NewEvent<T>): Promise<string> {
    const eventId = uuidv7();
    const trace = injectTraceContext({});
    let epoch = '0';
    let version = '0';
    const key = event.key ?? '';
    if (key) {
      // The row lock taken here is held to commit: a second transaction about the same type and key
      // waits, so the versions (and the outbox seq) of one key follow commit order.
      const assigned = await tx.execute<{ epoch: string; version: string }>(
        sql`insert into kit_outbox_versions (event_type, aggregate_key, epoch, version)
            values (${event.type}, ${key}, ${Date.now()}, 1)
            on conflict (event_type, aggregate_key)
            do update set version = kit_outbox_versions.version + 1, touched_at = now()
            returning epoch::text as epoch, version::text as version`,
      );
      epoch = assigned.rows[0]!.epoch;
      version = assigned.rows[0]!.version;
    }
    let subjectHashes: string[] = [];
    if (event.subject) {
      if (!this.subjectSecret) throw new Error('Outbox was built without the subject secret');
      subjectHashes = identifierHashes(this.subjectSecret, event.tenantId, event.subject);
    }
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
      aggregateKey: key,
      aggregateVersion: version,
      aggregateEpoch: epoch,
      subjectHashes,
    }).finish();
    await tx.execute(
      sql`insert into kit_outbox (event_id, event_type, tenant_id, envelope, aggregate_key, subject_hashes)
          values (${eventId}, ${event.type}, ${event.tenantId}, ${Buffer.from(envelope)}, ${key}, ${`{${subjectHashes.join(',')}}`}::text[])`,
    );
    afterCommit(tx, this.wake);
    return eventId;
  }

  /** Tells the relay in this process that a transaction with events committed. */
  committed(): void {
    for (const listener of this.listeners) listener();
  }

  /** Subscribes to `committed`; returns the unsubscribe function. */
  onCommitted(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Runs `work` in a transaction and wakes the relay after it commits. */
  async transaction<R>(db: Database, work: (tx: Transaction) => Promise<R>): Promise<R> {
    const result = await db.transaction(work);
    this.committed();
    return result;
  }

  /** `withTenant` (which wakes the relay after commit already); here for symmetry with `transaction`. */
  withTenant<R>(db: Database, tenantId: string, work: (tx: Transaction) => Promise<R>): Promise<R> {
    return withTenant(db, tenantId, work);
  }
}

const meter = metrics.getMeter('parley-kit');
const publishedCounter = meter.createCounter('outbox_published_total', {
  description: 'Outbox rows published to JetStream',
});
const parkedCounter = meter.createCounter('outbox_parked_total', {
  description: 'Outbox rows parked in dead letters because they can never be published',
});

export interface RelayOptions {
  pool: pg.Pool;
  js: JetStreamClient;
  naming: Naming;
  log: Logger;
  /** The outbox whose `committed()` wakes this relay. */
  outbox?: Outbox;
  /** Publishes in flight at once (the window), and rows read per look. Default 256. */
  batchSize?: number;
  /** Longest wait between looks when nothing wakes the relay. Default 200 ms. */
  pollMs?: number;
  /** How often a standby replica tries to become the active relay. Default 1 s. */
  standbyPollMs?: number;
  /** Refused publish attempts before a row is parked. Default 5. */
  maxAttempts?: number;
  /** How often the lag gauges are measured. Default 5 s. */
  measureEveryMs?: number;
}

interface OutboxRow {
  seq: string;
  event_id: string;
  event_type: string;
  tenant_id: string;
  envelope: Buffer;
  attempts: number;
  aggregate_key: string;
  subject_hashes: string[];
}

/** One lock id for every service's relay: each service has its own database. */
const RELAY_LOCK = 0x7061726c; // "parl"

/**
 * True for a publish failure that will not go away by retrying the same message: too large for the
 * server or the stream, or not allowed on the subject. Everything else (NATS down, no stream yet because
 * its owner has not started, timeouts) is transient.
 */
export function isPermanentPublishError(error: unknown): boolean {
  const text = `${(error as Error)?.name ?? ''} ${(error as Error)?.message ?? ''} ${
    (error as { code?: unknown })?.code ?? ''
  }`.toLowerCase();
  return /max(imum)?[ _]?payload|payload exceeded|message size exceeds|exceeds maximum|permission/.test(text);
}

/**
 * Publishes outbox rows to JetStream with `Nats-Msg-Id` = event id and deletes them once acknowledged.
 *
 * One relay per service is active at a time: it holds a PostgreSQL advisory lock on a connection of its
 * own and does all its work on that connection, so when it dies the lock goes with it and a standby
 * replica takes over. It reads rows in seq order, publishes a window of them asynchronously, awaits the
 * acks, and deletes the acknowledged rows. If it dies between publishing and deleting, the rows are
 * published again and JetStream's duplicate window (and every consumer's inbox) drops the second copy.
 *
 * A row the server refuses for good is retried `maxAttempts` times and then parked in `kit_dead_letters`,
 * without holding back the rows behind it; a transient failure is retried for as long as it lasts.
 */
export class OutboxRelay {
  private running = false;
  private loop?: Promise<void>;
  private wake?: () => void;
  private nudged = false;
  private unsubscribe?: () => void;
  private lockClient?: pg.PoolClient;
  private active = false;
  private unpublished = 0;
  private oldestAgeSeconds = 0;
  private measuredAt = 0;

  constructor(private readonly options: RelayOptions) {
    meter
      .createObservableGauge('outbox_unpublished_events', {
        description: 'Events in the outbox not yet published (estimate from the seq range)',
      })
      .addCallback((result) => result.observe(this.unpublished));
    meter
      .createObservableGauge('outbox_oldest_unpublished_age_seconds', {
        description: 'Age of the oldest unpublished outbox event (outbox lag)',
      })
      .addCallback((result) => result.observe(this.oldestAgeSeconds));
  }

  /** Whether this replica currently holds the relay lock. */
  get isActive(): boolean {
    return this.active;
  }

  async start(): Promise<void> {
    this.running = true;
    this.unsubscribe = this.options.outbox?.onCommitted(() => this.nudge());
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.unsubscribe?.();
    this.nudge();
    await this.loop;
  }

  private nudge(): void {
    this.nudged = true;
    this.wake?.();
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (this.running) {
      try {
        if (!this.lockClient) {
          const acquired = await this.acquire();
          if (!acquired) {
            await this.sleep(this.options.standbyPollMs ?? 1_000);
            continue;
          }
        }
        const published = await this.publishBatch();
        failures = 0;
        if (Date.now() - this.measuredAt > (this.options.measureEveryMs ?? 5_000)) await this.measure();
        if (published >= (this.options.batchSize ?? 256)) continue;
        await this.sleep(this.options.pollMs ?? 200);
      } catch (error) {
        failures += 1;
        this.options.log.warn({ err: error, failures }, 'outbox relay failed; retrying');
        await this.sleep(Math.min(30_000, 200 * 2 ** Math.min(failures, 8)));
      }
    }
    await this.release();
  }

  /** Tries to become the active relay; true when this replica holds the lock. */
  private async acquire(): Promise<boolean> {
    const client = await this.options.pool.connect();
    let kept = false;
    try {
      const { rows } = await client.query<{ locked: boolean }>('select pg_try_advisory_lock($1) as locked', [
        RELAY_LOCK,
      ]);
      if (!rows[0]?.locked) return false;
      kept = true;
      this.lockClient = client;
      this.active = true;
      client.on('error', (error) => {
        this.options.log.warn({ err: error }, 'outbox relay lost its lock connection');
        this.lost();
      });
      this.options.log.info('this replica is now the active outbox relay');
      return true;
    } finally {
      if (!kept) client.release();
    }
  }

  /** The lock connection failed: stop publishing; another replica (or this one, later) takes over. */
  private lost(): void {
    const client = this.lockClient;
    this.lockClient = undefined;
    this.active = false;
    client?.release(true);
  }

  private async release(): Promise<void> {
    const client = this.lockClient;
    this.lockClient = undefined;
    this.active = false;
    if (!client) return;
    await client.query('select pg_advisory_unlock($1)', [RELAY_LOCK]).catch(() => undefined);
    client.release();
  }

  private sleep(ms: number): Promise<void> {
    if (this.nudged || !this.running) {
      this.nudged = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        this.nudged = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }

  /** Publishes one window of rows; returns how many rows it read. Only the active relay calls it. */
  async publishBatch(): Promise<number> {
    const client = this.lockClient;
    if (!client) return 0;
    const window = this.options.batchSize ?? 256;
    let rows: OutboxRow[];
    try {
      ({ rows } = await client.query<OutboxRow>(
        `select seq, event_id, event_type, tenant_id, envelope, attempts, aggregate_key, subject_hashes
           from kit_outbox order by seq limit $1`,
        [window],
      ));
    } catch (error) {
      this.lost();
      throw error;
    }
    if (rows.length === 0) return 0;
    // Started in seq order on one connection, so the server stores them in that order unless one fails.
    const results = await Promise.allSettled(rows.map((row) => this.publish(row)));
    const sent: string[] = [];
    const refused: { row: OutboxRow; error: unknown }[] = [];
    let transient: unknown;
    results.forEach((result, index) => {
      const row = rows[index]!;
      if (result.status === 'fulfilled') sent.push(row.seq);
      else if (isPermanentPublishError(result.reason)) refused.push({ row, error: result.reason });
      else transient ??= result.reason;
    });
    if (sent.length > 0) {
      await client.query('delete from kit_outbox where seq = any($1::bigint[])', [sent]);
      publishedCounter.add(sent.length);
    }
    for (const { row, error } of refused) await this.refused(client, row, error);
    // A transient failure of some rows (e.g. another service's stream not created yet) leaves them for the
    // next look without slowing the others; only when nothing went through does the relay back off.
    if (transient && sent.length === 0 && refused.length === 0) throw transient;
    if (transient) this.options.log.warn({ err: transient }, 'some outbox rows could not be published yet');
    return sent.length + refused.length;
  }

  private async publish(row: OutboxRow): Promise<void> {
    const envelope = eventsV1.Envelope.decode(row.envelope);
    const headers = natsHeaders();
    headers.set(EVENT_HEADERS.type, row.event_type);
    if (row.tenant_id) headers.set(EVENT_HEADERS.tenant, row.tenant_id);
    if (envelope.traceparent) headers.set('traceparent', envelope.traceparent);
    if (envelope.tracestate) headers.set('tracestate', envelope.tracestate);
    await this.options.js.publish(this.options.naming.subject(row.event_type), row.envelope, {
      msgID: row.event_id,
      headers,
    });
  }

  /** A row the server refused for good: count the attempt, park it once there have been enough. */
  private async refused(client: pg.PoolClient, row: OutboxRow, error: unknown): Promise<void> {
    const message = String((error as Error)?.message ?? error).slice(0, 500);
    const attempts = row.attempts + 1;
    if (attempts < (this.options.maxAttempts ?? 5)) {
      await client.query('update kit_outbox set attempts = $2, last_error = $3 where seq = $1', [
        row.seq,
        attempts,
        message,
      ]);
      return;
    }
    await client.query('begin');
    try {
      await client.query(
        `insert into kit_dead_letters (id, source, event_id, event_type, tenant_id, aggregate_key, subject_hashes,
                                       envelope, reason, error, attempts)
         values ($1, 'outbox', $2, $3, $4, $5, $6, $7, 'PUBLISH_REFUSED', $8, $9)
         on conflict (source, consumer, event_id) do update
           set error = excluded.error, attempts = excluded.attempts, parked_at = now(), envelope = excluded.envelope`,
        [
          uuidv7(),
          row.event_id,
          row.event_type,
          row.tenant_id,
          row.aggregate_key,
          row.subject_hashes,
          row.envelope,
          message,
          attempts,
        ],
      );
      await client.query('delete from kit_outbox where seq = $1', [row.seq]);
      await client.query('commit');
    } catch (parkError) {
      await client.query('rollback').catch(() => undefined);
      throw parkError;
    }
    parkedCounter.add(1, { event_type: row.event_type });
    this.options.log.error(
      { eventId: row.event_id, eventType: row.event_type, attempts, err: { message } },
      'outbox row parked in dead letters: the server refuses it',
    );
    await this.publishSkipMarker(row);
  }

  /**
   * Tells consumers that a version of an aggregate will never come, so they do not wait for it before
   * applying the next one. Best effort: without it they wait EVENT_ORDER_WAIT_MS.
   */
  private async publishSkipMarker(row: OutboxRow): Promise<void> {
    if (!row.aggregate_key) return;
    const envelope = eventsV1.Envelope.decode(row.envelope);
    const headers = natsHeaders();
    headers.set(EVENT_HEADERS.type, row.event_type);
    headers.set(EVENT_HEADERS.parked, 'true');
    headers.set(EVENT_HEADERS.key, row.aggregate_key);
    headers.set(EVENT_HEADERS.version, envelope.aggregateVersion);
    headers.set(EVENT_HEADERS.epoch, envelope.aggregateEpoch);
    if (row.tenant_id) headers.set(EVENT_HEADERS.tenant, row.tenant_id);
    await this.options.js
      .publish(this.options.naming.subject(row.event_type), new Uint8Array(0), {
        msgID: `${row.event_id}:parked`,
        headers,
      })
      .catch((error) => this.options.log.warn({ err: error }, 'could not publish the parked-row marker'));
  }

  /**
   * Lag from the ends of the primary key (two index look-ups, no scan): the seq range approximates the
   * backlog (rolled-back seqs make it an upper bound) and the first row's age is the lag.
   */
  private async measure(): Promise<void> {
    this.measuredAt = Date.now();
    const client = this.lockClient;
    if (!client) return;
    const { rows } = await client.query<{ first: string | null; last: string | null; age: number | null }>(
      `select (select seq from kit_outbox order by seq limit 1) as first,
              (select seq from kit_outbox order by seq desc limit 1) as last,
              (select extract(epoch from now() - created_at)::float8 from kit_outbox order by seq limit 1) as age`,
    );
    const row = rows[0];
    this.unpublished = row?.first && row.last ? Number(row.last) - Number(row.first) + 1 : 0;
    this.oldestAgeSeconds = row?.age ?? 0;
  }
}
