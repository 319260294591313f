import { and, sql } from 'drizzle-orm';
import { purgeBefore, receiptLine, type CategoryReceipt, type Transaction } from '@parley/kit';
import { PARTITIONED, messages } from '../db/schema';
import type { SettingsRepository } from '../db/settings';
import type { MessagingDeps } from '../deps';
import { callRetentionDays } from '../domain/settings';
import { expireKeptCalls } from './callRecords';
import { forwarding, hasContent } from './subjects';

/**
 * The cut-off of a retention purge, moved back when the tenant's messaging settings keep the category longer:
 * a tenant that set its own retention in messaging keeps what it set (messaging's retention jobs delete at
 * that setting themselves; jobs/retention.ts), and call records stay as long as a law obliging the tenant to
 * keep traffic data says (callRetentionDays), whatever retention the privacy service was given.
 */
async function keptLonger(
  repository: SettingsRepository,
  tx: Transaction,
  category: string,
  before: Date,
  now: Date,
): Promise<Date> {
  const settings = await repository.get(tx);
  const days =
    category === 'call_records'
      ? // On the default metadata retention, the run's policy stands in for it; a law still keeps its days.
        settings.metadataRetentionDays === null
        ? (settings.trafficDataRetention?.days ?? null)
        : callRetentionDays(settings)
      : category === 'message_metadata' || category === 'call_recordings'
        ? settings.metadataRetentionDays
        : category === 'message_content'
          ? settings.contentRetentionDays
          : null;
  if (days === null) return before;
  const own = new Date(now.getTime() - days * 86_400_000);
  return own < before ? own : before;
}

/** Deletes a category's records older than `given`, or older than the tenant keeps them when that is longer. */
export async function purgeCategory(
  deps: Pick<MessagingDeps, 'webhooks' | 'settings' | 'now'>,
  tx: Transaction,
  category: string,
  given: Date,
): Promise<CategoryReceipt[]> {
  const before = await keptLonger(deps.settings, tx, category, given, deps.now());
  if (category === 'message_metadata') {
    // The history's partitions follow their messages' (message_created_at).
    await purgeBefore(tx, PARTITIONED.history, before);
    const deleted = await purgeBefore(tx, PARTITIONED.messages, before);
    return [receiptLine(category, { deleted: String(deleted) })];
  }
  if (category === 'message_content') {
    const emptied = await tx
      .update(messages)
      .set({ body: null, mediaUrls: [] })
      .where(and(sql`${messages.createdAt} < ${before.toISOString()}::timestamptz`, hasContent))
      .returning({ id: messages.id });
    return [receiptLine(category, { deleted: String(emptied.length) })];
  }
  if (category === 'message_forwarding') {
    const cleared = await tx
      .update(messages)
      .set({ forwardedTo: null, forwardedFrom: null })
      .where(and(sql`${messages.createdAt} < ${before.toISOString()}::timestamptz`, forwarding))
      .returning({ id: messages.id });
    return [receiptLine(category, { deleted: String(cleared.length) })];
  }
  if (category === 'call_records') {
    // The recording references' partitions follow their calls' (call_started_at).
    await purgeBefore(tx, PARTITIONED.callRecordings, before);
    const deleted = await purgeBefore(tx, PARTITIONED.calls, before);
    // Records kept under the tenant's traffic-data obligation go when its period has ended, not before.
    const expired = await expireKeptCalls(tx, deps.now());
    return [receiptLine(category, { deleted: String(deleted + expired) })];
  }
  if (category === 'call_recordings') {
    const deleted = await purgeBefore(tx, PARTITIONED.callRecordings, before);
    return [receiptLine(category, { deleted: String(deleted) })];
  }
  if (category === 'webhook_deliveries') {
    const deleted = await deps.webhooks.deleteFinishedBefore(tx, before);
    return [receiptLine(category, { deleted: String(deleted) })];
  }
  return [receiptLine(category)];
}
