// Retention of messages (issue 11, "Message log and retention"): content goes at the final status (or N days
// after it, the tenant's contentRetentionDays); metadata goes after the tenant's metadataRetentionDays,
// whole months at once when no tenant keeps them any more. Call records (issue 12) go likewise, after the
// tenant's call retention: its metadata retention, or its traffic-data obligation's days when longer.
import {
  afterCommit,
  dropExpired,
  purgeBefore,
  type JobContext,
  type PartitionedTable,
  type Transaction,
} from '@parley/kit';
import type pg from 'pg';
import { QUEUES, type MessagingDeps } from '../deps';
import { PARTITIONED } from '../db/schema';
import { callRetentionDays, metadataRetentionDays, platformRetention } from '../domain/settings';
import { expireKeptCalls } from '../privacy/callRecords';

const DAY_MS = 86_400_000;
/**
 * Sweeps of one tenant's content are due at the end of a window of this length: every final status in the
 * window shares one job (stately, keyed by tenant and window), not one job per message.
 */
export const CONTENT_SWEEP_WINDOW_MS = 10_000;
/** Messages emptied per statement (the sweep loops until none is left due). */
const CONTENT_SWEEP_BATCH = 1000;

type SweepDeps = Pick<MessagingDeps, 'jobs' | 'sweepsQueued'>;

/**
 * Queues the sweep of the tenant's content at the end of the window holding `at` (default now), in `tx`:
 * the lifecycle calls it with every final status, a changed retention with now, and a sweep itself with the
 * next content that will be due. Repeats within one window create nothing.
 */
export async function queueContentSweep(
  deps: SweepDeps,
  tx: Transaction,
  tenantId: string,
  at: Date = new Date(),
): Promise<void> {
  const window = Math.ceil(at.getTime() / CONTENT_SWEEP_WINDOW_MS) * CONTENT_SWEEP_WINDOW_MS;
  // This replica committed the window's job already: another would be the same singleton (a statement per
  // final status saved). Remembered only once committed, so a rolled-back one is queued again.
  if (deps.sweepsQueued.get(tenantId) === window) return;
  await deps.jobs.send(
    QUEUES.contentRetention,
    {},
    { tx, tenantId, singletonKey: `${tenantId}@${window}`, startAfter: new Date(window) },
  );
  afterCommit(tx, () => deps.sweepsQueued.set(tenantId, window));
}

/**
 * Empties the body and media URLs of the tenant's finished messages whose content retention has passed
 * (their metadata, parts and history stay), then queues itself for the next content that will be due.
 * Idempotent: it keys on the messages' state, so a rerun after a crash empties what is left.
 */
export function makeContentRetention(
  deps: Pick<MessagingDeps, 'withTenant' | 'settings' | 'messages' | 'jobs' | 'sweepsQueued' | 'now'>,
) {
  return async (job: JobContext<Record<string, never>>): Promise<void> => {
    const tenantId = job.tenantId!;
    let emptied = 0;
    for (;;) {
      const done = await deps.withTenant(tenantId, async (tx) => {
        const days = (await deps.settings.get(tx)).contentRetentionDays ?? 0;
        const before = new Date(deps.now().getTime() - days * DAY_MS);
        const count = await deps.messages.emptyContent(tx, tenantId, before, CONTENT_SWEEP_BATCH);
        emptied += count;
        if (count === CONTENT_SWEEP_BATCH) return false;
        const next = await deps.messages.earliestContentHeld(tx, tenantId);
        if (next) await queueContentSweep(deps, tx, tenantId, new Date(next.getTime() + days * DAY_MS));
        return true;
      });
      if (done) break;
    }
    job.log.info({ emptied }, 'message content past its retention removed');
  };
}

/**
 * The platform's daily pass: drops the months of messages (and their history, and the recording references
 * of calls) older than the longest metadata retention any tenant has, and the months of call records older
 * than the longest call retention (a tenant's traffic-data obligation can make it longer:
 * domain/settings.ts callRetentionDays); deletes the call records kept after an erasure whose obligation has
 * ended; then queues a delete for each tenant that keeps either less than that. Tenants without settings keep
 * the defaults, which the privacy service's retention purge applies to every tenant (privacy/purge.ts).
 */
export function makeMetadataRetention(
  deps: Pick<MessagingDeps, 'withTenant' | 'settings' | 'jobs' | 'now'>,
  pool: pg.Pool,
) {
  return async (job: JobContext<Record<string, never>>): Promise<void> => {
    const now = deps.now().getTime();
    const retentions = await deps.withTenant('platform', (tx) => deps.settings.retentions(tx));
    const longest = platformRetention(retentions);
    const metadataBefore = new Date(now - longest.metadataDays * DAY_MS);
    const callsBefore = new Date(now - longest.callDays * DAY_MS);
    // The history's months first: a message's history is in the month of its message.
    const dropped = [
      ...(await dropExpired(pool, PARTITIONED.history, metadataBefore)),
      ...(await dropExpired(pool, PARTITIONED.messages, metadataBefore)),
      // A recording reference is not traffic data: it follows the metadata retention, which is never longer
      // than its call's, so none outlives its call.
      ...(await dropExpired(pool, PARTITIONED.callRecordings, metadataBefore)),
      ...(await dropExpired(pool, PARTITIONED.calls, callsBefore)),
    ];
    // Call records kept after an erasure under a tenant's traffic-data obligation live outside those months,
    // until the obligation's period ends: then they go, whatever the metadata retention.
    const expiredKeptCalls = await deps.withTenant('platform', (tx) => expireKeptCalls(tx, new Date(now)));
    for (const tenant of longest.shorter)
      await deps.jobs.send(
        QUEUES.tenantMetadataRetention,
        {},
        { tenantId: tenant.tenantId, singletonKey: tenant.tenantId },
      );
    job.log.info(
      { dropped, expiredKeptCalls, tenants: longest.shorter.length },
      'message metadata retention: months dropped, tenants queued',
    );
  };
}

/** Rows a tenant's metadata retention deletes per transaction. */
const TENANT_PURGE_BATCH = 5000;

/**
 * Deletes one tenant's messages (and their history) and recording references older than its metadata
 * retention, and its call records older than its call retention (longer under a traffic-data obligation).
 * In batches, each a short transaction of its own: a tenant with millions of expired rows never holds one
 * transaction open for minutes (which would keep the platform's month drops waiting, and vacuum from
 * cleaning up). A rerun after a crash deletes what is left (the rows' age is the only state).
 */
export function makeTenantMetadataRetention(deps: Pick<MessagingDeps, 'withTenant' | 'settings' | 'now'>) {
  return async (job: JobContext<Record<string, never>>): Promise<void> => {
    const tenantId = job.tenantId!;
    const now = deps.now().getTime();
    const settings = await deps.withTenant(tenantId, (tx) => deps.settings.get(tx));
    const before = new Date(now - metadataRetentionDays(settings) * DAY_MS);
    const callsBefore = new Date(now - callRetentionDays(settings) * DAY_MS);
    const purge = async (spec: PartitionedTable, until: Date): Promise<number> => {
      let deleted = 0;
      for (;;) {
        const count = await deps.withTenant(tenantId, (tx) =>
          purgeBefore(tx, spec, until, { tenantId, batch: TENANT_PURGE_BATCH }),
        );
        deleted += count;
        if (count < TENANT_PURGE_BATCH) return deleted;
      }
    };
    // A message's history and a call's recording references before the message and the call.
    await purge(PARTITIONED.history, before);
    await purge(PARTITIONED.callRecordings, before);
    const calls = await purge(PARTITIONED.calls, callsBefore);
    const deleted = { messages: await purge(PARTITIONED.messages, before), calls };
    job.log.info(deleted, 'messages and call records past the tenant retention deleted');
  };
}
