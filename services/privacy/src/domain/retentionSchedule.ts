import { dailyCron, lastOccurrence } from '@parley/kit';

/** The retention schedule from configuration: RETENTION_CRON if set, else daily at RETENTION_RUN_AT; none when off. */
export function retentionCron(config: {
  RETENTION_RUN_AT: string;
  RETENTION_CRON?: string;
}): string | undefined {
  if (config.RETENTION_CRON) return config.RETENTION_CRON;
  return config.RETENTION_RUN_AT === 'off' ? undefined : dailyCron(config.RETENTION_RUN_AT);
}

/**
 * The scheduled period a run at `at` belongs to: the last time the schedule fired at or before it. A
 * scheduled job is created moments after its period begins, so its creation time names its period even
 * when a retry runs it much later.
 */
export function periodOf(cron: string, at: Date): Date {
  return lastOccurrence(cron, at, 'UTC');
}

/**
 * The period to make up at start-up, if any: the last scheduled time, when no cycle has started for it
 * or after it (`latest` is the most recent cycle's period; none at all counts as missed).
 */
export function missedPeriod(cron: string, now: Date, latest: Date | undefined): Date | undefined {
  const last = periodOf(cron, now);
  return latest && latest.getTime() >= last.getTime() ? undefined : last;
}
