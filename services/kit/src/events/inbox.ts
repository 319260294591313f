import { sql } from 'drizzle-orm';
import { v7 as uuidv7 } from 'uuid';
import { metrics } from '@opentelemetry/api';
import type { JetStreamClient, JetStreamManager, JsMsg, ConsumerMessages } from '@nats-io/jetstream';
import { eventsV1 } from '@parley/proto';
import type { Database, Transaction } from '../db/database';
import { isTenantId, isUuid, runAfterCommit } from '../db/database';
import { AppError } from '../errors';
import type { Logger } from '../logging';
import { runWithContext } from '../context';
import { withExtractedTraceContext } from '../telemetry';
import { EVENT_HEADERS, type MessageType } from './outbox';
import { isErased, matchingHashes, type SubjectHashKeys, type SubjectIdentifiers } from '../privacy/subjects';
import { ensureConsumer, StreamMissingError, type Naming } from './streams';

export interface ReceivedEvent<T> {
  envelope: eventsV1.Envelope;
  payload: T;
}

export interface EventHandler<T> {
  /** Durable consumer name, `<service>-on-<entity>-<verb>` (e.g. `billing-on-tenant-created`). */
  durable: string;
  /** The event type consumed, e.g. `identity.tenant.created`. */
  eventType: string;
  messageType: MessageType<T>;
  /**
   * Applies the event. Runs inside the transaction that also records the event id in the inbox, with the
   * event's tenant set for row-level security; throwing rolls both back. Throw `PermanentEventError` (or
   * the kit's `invalidArgument` / `failedPrecondition` errors) when retrying can never succeed: the event
   * is parked at once. Any other error is transient: the event is redelivered with the server's backoff.
   */
  handle(tx: Transaction, event: ReceivedEvent<T>, log: Logger): Promise<void>;
  /**
   * Who the event is about, when its payload names a person (an account id, a phone number). Before the
   * handler runs, the inbox checks the erasure tombstones: the hashes the producer declared with the event
   * (`envelope.subject_hashes`), and these identifiers hashed under every subject hash key (so a tombstone
   * written before a key rotation is found too). An event about an erased subject is dropped: marked
   * handled, nothing applied, so a late event cannot bring the person back.
   */
  subject?(event: ReceivedEvent<T>): SubjectIdentifiers | undefined;
  /**
   * `'apply'` only for a consumer that must act on events about erased subjects: the privacy task
   * consumer (an erasure repeated answers with its stored receipt). Default `'drop'`, for every consumer.
   */
  erasedSubjects?: 'drop' | 'apply';
  /** Deliveries before a transiently failing event is parked (RETRIES_EXHAUSTED). Default EVENT_MAX_DELIVER. */
  maxDeliveries?: number;
  /** The first redelivery delay, which is also the ack wait. Default the first EVENT_BACKOFF_MS step. */
  ackWaitMs?: number;
}

/** Thrown by a handler when the event can never be applied: it is parked at once with `reason`. */
export class PermanentEventError extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'PermanentEventError';
  }
}

/** The reason code an event is parked with when `error` is permanent; undefined when it is transient. */
export function permanentReason(error: unknown): string | undefined {
  if (error instanceof PermanentEventError) return error.reason;
  if (
    error instanceof AppError &&
    (error.kind === 'invalid_argument' || error.kind === 'failed_precondition')
  )
    return error.reason || error.kind.toUpperCase();
  return undefined;
}

/** How consumers behave (EVENT_* variables). */
export interface InboxSettings {
  backoffMs: number[];
  maxDeliver: number;
  /** Lanes applying events at once; events of one aggregate always go to the same lane. */
  concurrency: number;
  /** Events applied per transaction in a lane (falls back to one at a time when a batch fails). */
  batchSize: number;
  /** How long to wait for a missing earlier version of an aggregate before applying a later one. */
  orderWaitMs: number;
}

export const defaultInboxSettings: InboxSettings = {
  backoffMs: [5_000, 15_000, 60_000, 300_000, 600_000],
  maxDeliver: 200,
  concurrency: 8,
  batchSize: 32,
  orderWaitMs: 600_000,
};

const meter = metrics.getMeter('parley-kit');
const handledCounter = meter.createCounter('events_consumed_total', {
  description:
    'Events consumed, by consumer and outcome (applied, duplicate, late, waiting, retried, dead_lettered, skipped)',
});

export interface InboxConsumerOptions<T> {
  db: Database;
  js: JetStreamClient;
  jsm: JetStreamManager;
  naming: Naming;
  log: Logger;
  handler: EventHandler<T>;
  settings?: Partial<InboxSettings>;
  /** Called after a transaction that applied events commits (wakes the outbox relay of this process). */
  afterCommit?: () => void;
  /** The subject hash keys (SUBJECT_HASH_KEY and previous ones), to match a handler's `subject`. */
  subjectHashKeys?: SubjectHashKeys;
}

interface Item<T> {
  message?: JsMsg;
  envelope?: eventsV1.Envelope;
  payload?: T;
  /** Why the message cannot be decoded, if it cannot. */
  undecodable?: unknown;
  /** A marker for a version that was parked at the producer. */
  skip?: { key: string; epoch: string; version: string };
  /** Stream time of the message (ms), for the order wait. */
  publishedAt: number;
  deliveries: number;
  /** A replay by an operator: applied even when an earlier version is missing. */
  replay?: boolean;
}

type Outcome = 'applied' | 'duplicate' | 'late' | 'waiting' | 'skipped' | 'erased';

export interface ReplayResult {
  outcome: 'applied' | 'duplicate';
}

/**
 * A durable pull consumer whose effect and "handled" mark commit in one transaction. Redelivery (after a
 * crash, a lost ack, or the relay publishing twice) finds the event id already in the inbox and only acks.
 *
 * Messages are spread over `concurrency` lanes by aggregate key, so one aggregate's events are applied
 * in order and different aggregates in parallel; each lane applies up to `batchSize` events per
 * transaction. Events carry a per-aggregate version; a consumer applies version n+1 only after n (see
 * services/kit/README.md), which also holds with several replicas pulling from the same durable.
 */
export class InboxConsumer<T> {
  private messages?: ConsumerMessages;
  private loop?: Promise<void>;
  private running = false;
  private pending = 0;
  private readonly log: Logger;
  private readonly settings: InboxSettings;
  private readonly lanes: { queue: Item<T>[]; busy?: Promise<void> }[];
  private inFlight = new Map<JsMsg, number>();
  private queued = 0;
  private space?: () => void;
  private heartbeat?: NodeJS.Timeout;
  private wakeAttach?: () => void;
  private markAttached!: () => void;
  /** Resolves once the consumer exists on the server and messages flow (its stream may appear late). */
  readonly attached = new Promise<void>((resolve) => (this.markAttached = resolve));

  constructor(private readonly options: InboxConsumerOptions<T>) {
    this.log = options.log.child({ consumer: options.handler.durable });
    this.settings = { ...defaultInboxSettings, ...options.settings };
    if (options.handler.ackWaitMs) {
      this.settings.backoffMs = [options.handler.ackWaitMs, ...this.settings.backoffMs.slice(1)];
    }
    if (options.handler.maxDeliveries) this.settings.maxDeliver = options.handler.maxDeliveries;
    this.lanes = Array.from({ length: this.settings.concurrency }, () => ({ queue: [] }));
    meter
      .createObservableGauge('consumer_pending_messages', {
        description: 'Messages waiting for a consumer (consumer lag)',
      })
      .addCallback((result) => result.observe(this.pending, { consumer: options.handler.durable }));
  }

  get durable(): string {
    return this.options.handler.durable;
  }

  /**
   * Starts consuming. The stream belongs to the event's producer; until that service has created it,
   * the consumer keeps trying in the background (start does not wait for it).
   */
  async start(): Promise<void> {
    this.running = true;
    const ackWait = this.settings.backoffMs[0] ?? 30_000;
    // Unref'd: it keeps events in hand alive while their handlers run, and is no reason to keep a process
    // whose shutdown gave up on a handler.
    this.heartbeat = setInterval(() => this.keepAlive(ackWait), Math.max(100, Math.floor(ackWait / 3)));
    this.heartbeat.unref();
    this.loop = this.attachAndRun();
  }

  /** Stops pulling, finishes the events in hand, and returns. Unacked messages are redelivered later. */
  async stop(): Promise<void> {
    this.running = false;
    this.wakeAttach?.();
    await this.messages?.close();
    await this.loop;
    await Promise.all(this.lanes.map((lane) => lane.busy));
    clearInterval(this.heartbeat);
  }

  private async attachAndRun(): Promise<void> {
    const { handler, jsm, js, naming } = this.options;
    let attempts = 0;
    while (this.running) {
      try {
        const { stream } = await ensureConsumer(jsm, naming, {
          durable: handler.durable,
          eventType: handler.eventType,
          backoffMs: this.settings.backoffMs,
          maxDeliver: this.settings.maxDeliver,
        });
        const consumer = await js.consumers.get(stream, handler.durable);
        const messages = await consumer.consume({
          max_messages: Math.max(64, this.settings.concurrency * this.settings.batchSize * 2),
        });
        if (!this.running) {
          // Stopped while attaching.
          await messages.close();
          return;
        }
        this.messages = messages;
        this.markAttached();
        break;
      } catch (error) {
        attempts += 1;
        const level = error instanceof StreamMissingError && attempts < 20 ? 'info' : 'warn';
        this.log[level]({ err: error, attempts }, 'consumer cannot attach yet; retrying');
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.min(2_000, 100 * 2 ** Math.min(attempts, 5)));
          this.wakeAttach = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    }
    if (!this.running || !this.messages) return;
    await this.run(this.messages);
  }

  private async run(messages: ConsumerMessages): Promise<void> {
    const limit = Math.max(64, this.settings.concurrency * this.settings.batchSize * 2);
    for await (const message of messages) {
      this.pending = message.info.pending;
      while (this.queued >= limit) await new Promise<void>((resolve) => (this.space = resolve));
      this.dispatch(this.decode(message));
    }
  }

  private decode(message: JsMsg): Item<T> {
    const item: Item<T> = {
      message,
      publishedAt: Math.floor(Number(message.info.timestampNanos) / 1_000_000),
      deliveries: message.info.deliveryCount,
    };
    if (message.headers?.get(EVENT_HEADERS.parked) === 'true') {
      item.skip = {
        key: message.headers.get(EVENT_HEADERS.key),
        epoch: message.headers.get(EVENT_HEADERS.epoch) || '0',
        version: message.headers.get(EVENT_HEADERS.version) || '0',
      };
      return item;
    }
    try {
      item.envelope = eventsV1.Envelope.decode(message.data);
      item.payload = this.options.handler.messageType.decode(item.envelope.payload);
    } catch (error) {
      item.undecodable = error;
    }
    return item;
  }

  private laneOf(item: Item<T>): number {
    const key =
      item.skip?.key || item.envelope?.aggregateKey || item.envelope?.eventId || String(item.message?.seq);
    let hash = 0;
    for (let index = 0; index < key.length; index += 1) hash = (hash * 31 + key.charCodeAt(index)) | 0;
    return Math.abs(hash) % this.lanes.length;
  }

  private dispatch(item: Item<T>): void {
    if (item.message) this.inFlight.set(item.message, Date.now());
    this.queued += 1;
    const lane = this.lanes[this.laneOf(item)]!;
    lane.queue.push(item);
    if (!lane.busy) lane.busy = this.drain(lane);
  }

  private async drain(lane: { queue: Item<T>[]; busy?: Promise<void> }): Promise<void> {
    while (lane.queue.length > 0) {
      const batch = lane.queue.splice(0, this.settings.batchSize);
      try {
        await this.processBatch(batch);
      } catch (error) {
        // Nothing acked: the server redelivers after its backoff.
        this.log.warn(
          { err: error, events: batch.length },
          'events could not be processed; will be redelivered',
        );
      } finally {
        for (const item of batch) if (item.message) this.inFlight.delete(item.message);
        this.queued -= batch.length;
        this.space?.();
        this.space = undefined;
      }
    }
    lane.busy = undefined;
  }

  /** Keeps the server from redelivering messages that are queued or being applied here. */
  private keepAlive(ackWaitMs: number): void {
    const now = Date.now();
    for (const [message, since] of this.inFlight) {
      if (now - since > ackWaitMs / 3) message.working();
    }
  }

  private async processBatch(batch: Item<T>[]): Promise<void> {
    const { handler, db } = this.options;
    const ready: Item<T>[] = [];
    for (const item of batch) {
      if (item.undecodable) {
        await this.park(item, 'UNDECODABLE', item.undecodable);
      } else {
        ready.push(item);
      }
    }
    if (ready.length === 0) return;
    // A parked event the server delivers again (it should not) is dropped here, never handled twice.
    const ids = ready.flatMap((item) => (item.envelope ? [item.envelope.eventId] : [])).filter(isUuid);
    if (ids.length > 0) {
      const parked = await db.execute<{ event_id: string }>(
        sql`select event_id::text from kit_dead_letters where source = 'consumer' and consumer = ${handler.durable}
            and event_id = any(${`{${ids.join(',')}}`}::uuid[])`,
      );
      const parkedIds = new Set(parked.rows.map((row) => row.event_id));
      for (let index = ready.length - 1; index >= 0; index -= 1) {
        const item = ready[index]!;
        if (item.envelope && parkedIds.has(item.envelope.eventId)) {
          item.message?.term();
          ready.splice(index, 1);
        }
      }
    }
    if (ready.length === 0) return;
    if (ready.length > 1) {
      try {
        let committed: Transaction | undefined;
        const outcomes = await db.transaction(async (tx) => {
          committed = tx;
          const results: Outcome[] = [];
          for (const item of ready) results.push(await this.applyOne(tx, item));
          return results;
        });
        if (committed) runAfterCommit(committed);
        this.settle(ready, outcomes);
        return;
      } catch {
        // One of them failed: apply them one at a time, so the others still go through.
      }
    }
    for (const item of ready) await this.processOne(item);
  }

  private async processOne(item: Item<T>): Promise<void> {
    const { handler, db } = this.options;
    const envelope = item.envelope;
    const carrier: Record<string, string> = {};
    if (envelope?.traceparent) carrier.traceparent = envelope.traceparent;
    if (envelope?.tracestate) carrier.tracestate = envelope.tracestate;
    await withExtractedTraceContext(carrier, () =>
      runWithContext({ tenantId: envelope?.tenantId || undefined }, async () => {
        try {
          let committed: Transaction | undefined;
          const outcome = await db.transaction((tx) => {
            committed = tx;
            return this.applyOne(tx, item);
          });
          if (committed) runAfterCommit(committed);
          this.settle([item], [outcome]);
        } catch (error) {
          const reason = permanentReason(error);
          if (reason) {
            await this.park(item, reason, error);
          } else if (item.deliveries >= this.settings.maxDeliver) {
            // The server would stop delivering it: keep it where an operator can see and replay it.
            await this.park(item, 'RETRIES_EXHAUSTED', error);
          } else {
            handledCounter.add(1, { consumer: handler.durable, outcome: 'retried' });
            this.log.warn(
              { err: error, eventId: envelope?.eventId, deliveries: item.deliveries },
              'event handler failed; the server redelivers it after its backoff',
            );
            // No nak: leaving it unacknowledged lets the consumer's backoff decide when it comes back.
            this.inFlight.delete(item.message!);
          }
        }
      }),
    );
  }

  /** Acks, or asks again later for, the messages of a committed transaction. */
  private settle(items: Item<T>[], outcomes: Outcome[]): void {
    let applied = false;
    items.forEach((item, index) => {
      const outcome = outcomes[index]!;
      handledCounter.add(1, { consumer: this.options.handler.durable, outcome });
      if (outcome === 'waiting') {
        const age = Date.now() - item.publishedAt;
        const delay = Math.min(
          Math.max(50, this.settings.orderWaitMs - age + 10),
          100 * 2 ** Math.min(item.deliveries, 6),
        );
        item.message?.nak(delay);
      } else {
        if (outcome === 'applied' || outcome === 'late') applied = true;
        item.message?.ack();
      }
    });
    if (applied) this.options.afterCommit?.();
  }

  /**
   * Applies one event in `tx`: records it in the inbox, checks its aggregate version against the last one
   * this consumer applied, and runs the handler. 'waiting': an earlier version has not been applied yet.
   */
  private async applyOne(tx: Transaction, item: Item<T>): Promise<Outcome> {
    const { handler } = this.options;
    if (item.skip) return this.applySkip(tx, item);
    const envelope = item.envelope!;
    await tx.execute(
      sql`select set_config('app.tenant_id', ${isTenantId(envelope.tenantId) ? envelope.tenantId : ''}, true)`,
    );
    const key = envelope.aggregateKey;
    let order: 'next' | 'behind' | 'ahead' = 'next';
    if (key) {
      order = await this.orderOf(tx, key, envelope.aggregateEpoch, envelope.aggregateVersion);
    }
    const inserted = await tx.execute(
      sql`insert into kit_inbox (consumer, event_id) values (${handler.durable}, ${envelope.eventId}) on conflict do nothing`,
    );
    if ((inserted.rowCount ?? 0) === 0) return 'duplicate';
    if (order === 'ahead' && !item.replay) {
      const waited = Date.now() - item.publishedAt;
      if (waited < this.settings.orderWaitMs && item.deliveries < this.settings.maxDeliver - 1) {
        await tx.execute(
          sql`delete from kit_inbox where consumer = ${handler.durable} and event_id = ${envelope.eventId}`,
        );
        return 'waiting';
      }
      this.log.warn(
        { eventId: envelope.eventId, version: envelope.aggregateVersion },
        'an earlier version of this aggregate never arrived; applying the later one',
      );
    }
    const event = { envelope, payload: item.payload as T };
    const erased = await this.aboutErasedSubject(tx, event);
    if (erased) {
      this.log.info({ eventId: envelope.eventId }, 'dropped an event about an erased subject');
    } else {
      await handler.handle(tx, event, this.log);
    }
    if (key && order !== 'behind') {
      await this.recordVersion(tx, key, envelope.aggregateEpoch, envelope.aggregateVersion);
    }
    return erased ? 'erased' : order === 'behind' ? 'late' : 'applied';
  }

  /** True when the event is about a subject erased in this service (see `EventHandler.subject`). */
  private async aboutErasedSubject(tx: Transaction, event: ReceivedEvent<T>): Promise<boolean> {
    const { handler, subjectHashKeys } = this.options;
    if (handler.erasedSubjects === 'apply') return false;
    const tenantId = event.envelope.tenantId;
    const declared = handler.subject?.(event);
    if (declared && !subjectHashKeys) {
      throw new Error(
        `consumer ${handler.durable} names a subject but was built without the subject hash keys`,
      );
    }
    const hashes = [
      ...event.envelope.subjectHashes,
      ...(declared && subjectHashKeys ? matchingHashes(subjectHashKeys, tenantId, declared) : []),
    ];
    return hashes.length > 0 && isErased(tx, tenantId, hashes);
  }

  private async applySkip(tx: Transaction, item: Item<T>): Promise<Outcome> {
    const skip = item.skip!;
    const order = await this.orderOf(tx, skip.key, skip.epoch, skip.version);
    if (order === 'ahead') {
      const waited = Date.now() - item.publishedAt;
      if (waited < this.settings.orderWaitMs && item.deliveries < this.settings.maxDeliver - 1)
        return 'waiting';
    }
    if (order !== 'behind') await this.recordVersion(tx, skip.key, skip.epoch, skip.version);
    return 'skipped';
  }

  /** Where a version stands against the last one applied for the key (locking that row to commit). */
  private async orderOf(
    tx: Transaction,
    key: string,
    epoch: string,
    version: string,
  ): Promise<'next' | 'behind' | 'ahead'> {
    const last = await tx.execute<{ epoch: string; version: string }>(
      sql`select epoch::text as epoch, version::text as version from kit_inbox_versions
          where consumer = ${this.options.handler.durable} and aggregate_key = ${key} for update`,
    );
    const row = last.rows[0];
    const wantedEpoch = BigInt(epoch || '0');
    const wanted = BigInt(version || '0');
    if (!row || BigInt(row.epoch) < wantedEpoch) return wanted <= 1n ? 'next' : 'ahead';
    if (BigInt(row.epoch) > wantedEpoch) return 'behind';
    const applied = BigInt(row.version);
    if (wanted <= applied) return 'behind';
    return wanted === applied + 1n ? 'next' : 'ahead';
  }

  private async recordVersion(tx: Transaction, key: string, epoch: string, version: string): Promise<void> {
    await tx.execute(
      sql`insert into kit_inbox_versions (consumer, aggregate_key, epoch, version)
          values (${this.options.handler.durable}, ${key}, ${epoch || '0'}, ${version || '0'})
          on conflict (consumer, aggregate_key) do update
            set epoch = excluded.epoch, version = excluded.version, touched_at = now()
            where (kit_inbox_versions.epoch, kit_inbox_versions.version) < (excluded.epoch, excluded.version)`,
    );
  }

  /**
   * Parks an event in `kit_dead_letters` with its reason and moves the aggregate's version past it (so
   * the events behind it are not held back), then terminates the message so the server never delivers
   * it again. `term` is sent without a reason: servers before 2.11 do not understand `+TERM <reason>`
   * and ignore it, which is why parked events used to come back.
   */
  private async park(item: Item<T>, reason: string, error: unknown): Promise<void> {
    const { db, handler } = this.options;
    const message = item.message;
    const envelope = item.envelope;
    const headerId = message?.headers?.get('Nats-Msg-Id') ?? '';
    const eventId =
      envelope && isUuid(envelope.eventId) ? envelope.eventId : isUuid(headerId) ? headerId : uuidv7();
    const text = String((error as Error)?.message ?? error).slice(0, 1000);
    await db.transaction(async (tx) => {
      await tx.execute(
        sql`insert into kit_dead_letters (id, source, consumer, event_id, event_type, tenant_id, aggregate_key,
                                          subject_hashes, envelope, reason, error, attempts)
            values (${uuidv7()}, 'consumer', ${handler.durable}, ${eventId},
                    ${envelope?.type || (message ? this.options.naming.eventType(message.subject) : handler.eventType)},
                    ${envelope?.tenantId || message?.headers?.get(EVENT_HEADERS.tenant) || ''},
                    ${envelope?.aggregateKey ?? ''}, ${`{${(envelope?.subjectHashes ?? []).join(',')}}`}::text[],
                    ${Buffer.from(message?.data ?? new Uint8Array(0))}, ${reason}, ${text}, ${item.deliveries})
            on conflict (source, consumer, event_id) do update
              set reason = excluded.reason, error = excluded.error, attempts = excluded.attempts, parked_at = now()`,
      );
      if (envelope?.aggregateKey) {
        await this.recordVersion(
          tx,
          envelope.aggregateKey,
          envelope.aggregateEpoch,
          envelope.aggregateVersion,
        );
      }
    });
    handledCounter.add(1, { consumer: handler.durable, outcome: 'dead_lettered' });
    this.log.error(
      { err: { message: text }, reason, eventId, deliveries: item.deliveries },
      'event parked in dead letters',
    );
    message?.term();
  }

  /**
   * Runs a parked event through this consumer again, in the same inbox transaction as any delivery (so a
   * replay of an event that was applied meanwhile changes nothing), and deletes the dead letter with it.
   * Applied even if an earlier version of its aggregate is still missing. Throws what the handler throws.
   */
  async replay(deadLetterId: string, envelopeBytes: Uint8Array): Promise<ReplayResult> {
    const envelope = eventsV1.Envelope.decode(envelopeBytes);
    const payload = this.options.handler.messageType.decode(envelope.payload);
    const item: Item<T> = { envelope, payload, publishedAt: Date.now(), deliveries: 0, replay: true };
    const outcome = await this.options.db.transaction(async (tx) => {
      const result = await this.applyOne(tx, item);
      await tx.execute(sql`delete from kit_dead_letters where id = ${deadLetterId}`);
      return result;
    });
    if (outcome !== 'duplicate') this.options.afterCommit?.();
    return { outcome: outcome === 'duplicate' ? 'duplicate' : 'applied' };
  }
}
