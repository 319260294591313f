import { CronExpressionParser } from 'cron-parser';

/**
 * Schedules as cron expressions, checked the way pg-boss evaluates them (it uses cron-parser too), so a
 * bad expression fails at start-up with a message instead of never firing.
 */

const timeOfDay = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** `HH:MM` (24-hour) as a daily cron expression: `03:00` -> `0 3 * * *`. Throws on anything else. */
export function dailyCron(at: string): string {
  const match = timeOfDay.exec(at);
  if (!match) throw new Error(`"${at}" is not a time of day (HH:MM, 00:00-23:59)`);
  return `${Number(match[2])} ${Number(match[1])} * * *`;
}

/** True when `at` is a valid `HH:MM` time of day. */
export function isTimeOfDay(at: string): boolean {
  return timeOfDay.test(at);
}

/**
 * Whether `expression` is a five-field cron expression (minute resolution: the queue's scheduler creates
 * at most one job a minute per schedule, so seconds fields are refused rather than silently rounded).
 */
export function isCronExpression(expression: string, tz = 'UTC'): boolean {
  if (expression.trim().split(/\s+/).length !== 5) return false;
  try {
    CronExpressionParser.parse(expression, { tz, strict: false });
    return true;
  } catch {
    return false;
  }
}

/** The most recent time `expression` fired at or before `now` (the period a run at `now` belongs to). */
export function lastOccurrence(expression: string, now: Date, tz = 'UTC'): Date {
  // cron-parser's prev() is strictly before currentDate; a fire exactly at `now` counts as this period.
  const interval = CronExpressionParser.parse(expression, {
    tz,
    currentDate: new Date(now.getTime() + 1),
  });
  return interval.prev().toDate();
}

/** The next time `expression` fires after `now`. */
export function nextOccurrence(expression: string, now: Date, tz = 'UTC'): Date {
  return CronExpressionParser.parse(expression, { tz, currentDate: now }).next().toDate();
}
