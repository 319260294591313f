import { invalidArgument, withTenant, type Database, type RpcContext } from '@parley/kit';
import type { billingV1 } from '@parley/proto';
import { sql } from 'drizzle-orm';
import { periodBounds, PERIOD_PATTERN } from '../domain/periods';

/** The consumers that rate each event into exactly one usage line. */
export const RATED_SUBJECTS: Record<string, string> = {
  'messaging.message.sent': 'billing-on-message-sent',
  'messaging.message.received': 'billing-on-message-received',
  'messaging.call.recorded': 'billing-on-call-recorded',
  'numbering.number.assigned': 'billing-on-number-assigned',
};

/** The creation time of a UUIDv7 event id (its first 48 bits, milliseconds since the epoch), in SQL. */
const uuidTime = (column: string) =>
  sql.raw(
    `to_timestamp(('x' || substr(replace(${column}::text, '-', ''), 1, 12))::bit(48)::bigint / 1000.0)`,
  );

/**
 * GetReconciliation (platform operators): for each subject billing rates, the events its inbox handled and
 * the ones parked, against the usage lines rated from them, by the event's creation time (the UUIDv7 id the
 * producer's outbox gave it). Every handled event has exactly one platform line (a resold sub-account's second line, at the tenant's
 * price, is not counted: it is the same event sold on), so `difference` is zero unless
 * something was lost between the inbox and the usage table. Answerable while the inbox keeps the period's
 * rows (twice the stream's max age plus two days).
 */
export function makeGetReconciliation(deps: { db: Database }) {
  return async ({
    request,
  }: RpcContext<billingV1.GetReconciliationRequest>): Promise<billingV1.GetReconciliationResponse> => {
    if (!PERIOD_PATTERN.test(request.period)) {
      throw invalidArgument('PERIOD_INVALID', 'period is not a month', [
        { field: 'period', description: 'YYYY-MM, e.g. 2026-11' },
      ]);
    }
    const { start, end } = periodBounds(request.period);
    const lines: billingV1.ReconciliationLine[] = [];
    for (const [eventType, consumer] of Object.entries(RATED_SUBJECTS)) {
      const counts = await withTenant(deps.db, 'platform', async (tx) => {
        const result = await tx.execute<{ seen: string; parked: string; rated: string }>(sql`
          select
            (select count(*) from kit_inbox
              where consumer = ${consumer} and ${uuidTime('event_id')} >= ${start} and ${uuidTime('event_id')} < ${end})::text as seen,
            (select count(*) from kit_dead_letters
              where consumer = ${consumer} and ${uuidTime('event_id')} >= ${start} and ${uuidTime('event_id')} < ${end})::text as parked,
            (select count(*) from usage_records
              where seller = 'platform' and source_type = ${eventType} and ${uuidTime('source_id')} >= ${start} and ${uuidTime('source_id')} < ${end})::text as rated`);
        return result.rows[0]!;
      });
      lines.push({
        eventType,
        seen: counts.seen,
        parked: counts.parked,
        rated: counts.rated,
        difference: String(BigInt(counts.seen) - BigInt(counts.rated)),
      });
    }
    return { period: request.period, lines };
  };
}
