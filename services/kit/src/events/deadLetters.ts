import { sql } from 'drizzle-orm';
import { metrics } from '@opentelemetry/api';
import { eventsV1, kitV1 } from '@parley/proto';
import type { Database, Transaction } from '../db/database';
import { isUuid, textArray } from '../db/database';
import { failedPrecondition, invalidArgument, notFound } from '../errors';
import { decodePageToken, pageSize, toPage } from '../paging';
import type { InboxConsumer } from './inbox';

type DeadLetterRow = {
  id: string;
  source: 'consumer' | 'outbox';
  consumer: string;
  event_id: string;
  event_type: string;
  tenant_id: string;
  aggregate_key: string;
  envelope: Buffer;
  reason: string;
  error: string;
  attempts: number;
  parked_at: Date;
};

const reasonPattern = /^[A-Z][A-Z0-9_]{0,63}$/;

function toDeadLetter(row: DeadLetterRow): kitV1.DeadLetter {
  let payload = Buffer.alloc(0);
  let payloadType = '';
  try {
    const envelope = eventsV1.Envelope.decode(row.envelope);
    payload = Buffer.from(envelope.payload);
    payloadType = envelope.payloadType;
  } catch {
    // An undecodable event: there is no payload to show.
  }
  return {
    id: row.id,
    source:
      row.source === 'consumer'
        ? kitV1.DeadLetterSource.DEAD_LETTER_SOURCE_CONSUMER
        : kitV1.DeadLetterSource.DEAD_LETTER_SOURCE_OUTBOX,
    consumer: row.consumer,
    eventId: row.event_id,
    eventType: row.event_type,
    tenantId: row.tenant_id,
    aggregateKey: row.aggregate_key,
    reason: row.reason,
    error: row.error,
    attempts: row.attempts,
    parkedAt: new Date(row.parked_at),
    payload,
    payloadType,
  };
}

/** Parked consumer events and outbox rows, newest first, filtered by tenant and reason. */
export async function listDeadLetters(
  db: Database,
  request: kitV1.ListDeadLettersRequest,
): Promise<kitV1.ListDeadLettersResponse> {
  const size = pageSize(request.pageSize);
  if (request.reason && !reasonPattern.test(request.reason)) {
    throw invalidArgument('REASON_INVALID', 'reason must be an UPPER_SNAKE reason code', [
      {
        field: 'reason',
        description: 'e.g. INVALID_ARGUMENT, UNDECODABLE, RETRIES_EXHAUSTED, PUBLISH_REFUSED',
      },
    ]);
  }
  const cursor = decodePageToken(request.pageToken);
  const conditions = [sql`true`];
  if (request.tenantId) conditions.push(sql`tenant_id = ${request.tenantId}`);
  if (request.reason) conditions.push(sql`reason = ${request.reason}`);
  if (cursor && isUuid(cursor.id)) {
    // Cursors carry milliseconds; compare at that precision so no row is skipped between pages.
    conditions.push(
      sql`(date_trunc('milliseconds', parked_at), id) < (${cursor.at.toISOString()}::timestamptz, ${cursor.id}::uuid)`,
    );
  }
  const result = await db.execute<DeadLetterRow>(
    sql`select id::text, source, consumer, event_id::text, event_type, tenant_id, aggregate_key, envelope, reason,
               error, attempts, parked_at
          from kit_dead_letters where ${sql.join(conditions, sql` and `)}
         order by date_trunc('milliseconds', parked_at) desc, id desc limit ${size + 1}`,
  );
  const page = toPage(result.rows, size, (row) => ({ at: new Date(row.parked_at), id: row.id }));
  return { deadLetters: page.items.map(toDeadLetter), nextPageToken: page.nextPageToken };
}

async function findDeadLetter(db: Database | Transaction, id: string): Promise<DeadLetterRow> {
  if (!isUuid(id)) {
    throw invalidArgument('DEAD_LETTER_ID_INVALID', 'dead letter id must be a UUID', [
      { field: 'id', description: 'the id of a dead letter, as listed' },
    ]);
  }
  const result = await db.execute<DeadLetterRow>(
    sql`select id::text, source, consumer, event_id::text, event_type, tenant_id, aggregate_key, envelope, reason,
               error, attempts, parked_at
          from kit_dead_letters where id = ${id}`,
  );
  const row = result.rows[0];
  if (!row) throw notFound('DEAD_LETTER_NOT_FOUND', 'no dead letter has this id');
  return row;
}

/** Deletes a parked entry without applying it. */
export async function discardDeadLetter(db: Database, id: string): Promise<void> {
  await findDeadLetter(db, id);
  await db.execute(sql`delete from kit_dead_letters where id = ${id}`);
}

/**
 * Replays a parked entry: a consumer event runs through its consumer's inbox path again; an outbox row
 * goes back into the outbox (with a fresh attempt count) for the relay to publish.
 */
export async function replayDeadLetter(
  db: Database,
  id: string,
  consumers: ReadonlyMap<string, InboxConsumer<unknown>>,
  afterRequeue?: () => void,
): Promise<kitV1.ReplayDeadLetterResponse> {
  const row = await findDeadLetter(db, id);
  if (row.source === 'outbox') {
    await db.transaction(async (tx) => {
      await tx.execute(
        sql`insert into kit_outbox (event_id, event_type, tenant_id, envelope, aggregate_key, subject_hashes)
            select event_id, event_type, tenant_id, envelope, aggregate_key, subject_hashes
              from kit_dead_letters where id = ${id}
            on conflict (event_id) do nothing`,
      );
      await tx.execute(sql`delete from kit_dead_letters where id = ${id}`);
    });
    afterRequeue?.();
    return { outcome: 'requeued' };
  }
  const consumer = consumers.get(row.consumer);
  if (!consumer) {
    throw failedPrecondition(
      'CONSUMER_NOT_RUNNING',
      `consumer ${row.consumer} does not run in this service any more; discard the entry instead`,
    );
  }
  let envelopeOk = true;
  try {
    eventsV1.Envelope.decode(row.envelope);
  } catch {
    envelopeOk = false;
  }
  if (!envelopeOk || row.reason === 'UNDECODABLE') {
    throw failedPrecondition('DEAD_LETTER_UNDECODABLE', 'the parked event cannot be decoded; discard it');
  }
  try {
    const { outcome } = await consumer.replay(id, row.envelope);
    return { outcome };
  } catch (error) {
    throw failedPrecondition(
      'REPLAY_FAILED',
      `the consumer failed to apply the event again: ${String((error as Error)?.message ?? error).slice(0, 300)}`,
    );
  }
}

/** Deletes a subject's parked entries (erasure); returns how many. */
export async function eraseDeadLetters(tx: Transaction, tenantId: string, hashes: string[]): Promise<number> {
  if (hashes.length === 0) return 0;
  const result = await tx.execute(
    sql`delete from kit_dead_letters where tenant_id = ${tenantId} and subject_hashes && ${textArray(hashes)}`,
  );
  return result.rowCount ?? 0;
}

/** Deletes parked entries older than `days` (they may hold personal data); returns how many. */
export async function purgeDeadLetters(db: Database, days: number): Promise<number> {
  const result = await db.execute(
    sql`delete from kit_dead_letters where parked_at < now() - make_interval(days => ${days})`,
  );
  return result.rowCount ?? 0;
}

export interface EventRetention {
  /** DEAD_LETTER_RETENTION_DAYS. */
  deadLetterDays: number;
  /** How long the streams keep events (NATS_STREAM_MAX_AGE_HOURS), in ms. */
  streamMaxAgeMs: number;
}

const DAY_MS = 86_400_000;

/**
 * The windows derived from the stream's max age: a producer forgets a key's version after
 * max age + 1 day (no event of it can still be in the stream), a consumer forgets inbox rows and
 * versions after 2 x max age + 2 days (longer than any redelivery, and longer than the producer remembers
 * the key, so a new epoch is recognised).
 */
export function retentionWindows(retention: EventRetention) {
  return {
    producerVersionsMs: retention.streamMaxAgeMs + DAY_MS,
    inboxMs: 2 * retention.streamMaxAgeMs + 2 * DAY_MS,
  };
}

const purgedCounter = metrics
  .getMeter('parley-kit')
  .createCounter('events_housekeeping_deleted_total', { description: 'Rows deleted by event housekeeping' });

async function deleteInChunks(db: Database, statement: ReturnType<typeof sql>): Promise<number> {
  let total = 0;
  for (;;) {
    const result = await db.execute(statement);
    const count = result.rowCount ?? 0;
    total += count;
    if (count < 5_000) return total;
  }
}

/**
 * Event housekeeping: purges expired dead letters, inbox rows past their window and forgotten aggregate
 * versions. Idempotent. The runtime runs it on the kit's job queue (hourly, once across replicas, and
 * at start-up).
 */
export async function runEventHousekeeping(
  db: Database,
  retention: EventRetention,
): Promise<Record<string, number>> {
  const windows = retentionWindows(retention);
  const inboxSeconds = Math.floor(windows.inboxMs / 1000);
  const versionSeconds = Math.floor(windows.producerVersionsMs / 1000);
  const counts = {
    deadLetters: await purgeDeadLetters(db, retention.deadLetterDays),
    inbox: await deleteInChunks(
      db,
      sql`delete from kit_inbox where ctid in (select ctid from kit_inbox
            where handled_at < now() - make_interval(secs => ${inboxSeconds}) limit 5000)`,
    ),
    inboxVersions: await deleteInChunks(
      db,
      sql`delete from kit_inbox_versions where ctid in (select ctid from kit_inbox_versions
            where touched_at < now() - make_interval(secs => ${inboxSeconds}) limit 5000)`,
    ),
    outboxVersions: await deleteInChunks(
      db,
      sql`delete from kit_outbox_versions where ctid in (select ctid from kit_outbox_versions
            where touched_at < now() - make_interval(secs => ${versionSeconds}) limit 5000)`,
    ),
  };
  for (const [table, count] of Object.entries(counts)) if (count > 0) purgedCounter.add(count, { table });
  return counts;
}
