/**
 * The legal deadline of a data-subject request: when it is due under the law that governs it, how an
 * extension or a pause (while we wait on the subject, e.g. to verify their identity) moves that date,
 * and by when CCPA requires us to confirm receipt. Pure functions over an immutable `Clock`; all calendar
 * arithmetic is in UTC.
 */
import { failedPrecondition, invalidArgument } from '@parley/kit';

export type Jurisdiction = 'gdpr' | 'uk_gdpr' | 'ccpa' | 'other';

export interface Clock {
  jurisdiction: Jurisdiction;
  receivedAt: Date;
  /** Due date without extension and before pauses. */
  baseDueAt: Date;
  /** Whether the one extension the law allows has been taken. */
  extended: boolean;
  extensionReason?: string;
  /** Paused since this instant, if the clock is paused now. */
  pausedAt?: Date;
  /** Total milliseconds of completed pauses. */
  pausedMs: number;
}

export type Urgency = 'on_track' | 'due_soon' | 'overdue';

const DAY_MS = 86_400_000;

type Period = { months: number } | { days: number };

/** The time to answer, counted from receipt: without extension, and in total once extended. */
interface Rule {
  base: Period;
  extended?: Period;
}

// GDPR Art. 12(3) and UK GDPR Art. 12(3): one month, extendable by two further months.
const monthly: Rule = { base: { months: 1 }, extended: { months: 3 } };
const rules: Record<Jurisdiction, Rule> = {
  gdpr: monthly,
  uk_gdpr: monthly,
  // Cal. Civ. Code 1798.130(a)(2): 45 days, extendable once by 45 more.
  ccpa: { base: { days: 45 }, extended: { days: 90 } },
  // Any other law: GDPR's calendar, the stricter default.
  other: monthly,
};

function ruleOf(jurisdiction: Jurisdiction): Rule {
  const rule = Object.hasOwn(rules, jurisdiction) ? rules[jurisdiction] : undefined;
  if (!rule) {
    throw invalidArgument('JURISDICTION_UNKNOWN', `unknown jurisdiction: ${String(jurisdiction)}`, [
      { field: 'jurisdiction', description: `one of ${Object.keys(rules).join(', ')}` },
    ]);
  }
  return rule;
}

/**
 * `months` calendar months after `from`, at the same UTC time of day: the same day of the month, or the
 * last day of the target month when that day does not exist there (31 Jan + 1 → 28 Feb, or 29 Feb in a
 * leap year; 30 Jan + 1 → 28/29 Feb; 31 Mar + 1 → 30 Apr; 31 Dec + 1 → 31 Jan of the next year).
 *
 * Always counted from the original date, never month by month: 31 Jan + 3 is 30 Apr, not the 28 Apr that
 * stepping 31 Jan → 28 Feb → 28 Mar → 28 Apr would give. `Date.UTC` carries an overflowing month into the
 * next year (month 12 is January of year + 1), and day 0 of month m + 1 is the last day of month m.
 *
 * The law's month ends with the end of that day; ending at the time of receipt instead is never later.
 */
export function addCalendarMonths(from: Date, months: number): Date {
  const year = from.getUTCFullYear();
  const month = from.getUTCMonth() + months;
  const lastDayOfTargetMonth = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  const day = Math.min(from.getUTCDate(), lastDayOfTargetMonth);
  return new Date(
    Date.UTC(
      year,
      month,
      day,
      from.getUTCHours(),
      from.getUTCMinutes(),
      from.getUTCSeconds(),
      from.getUTCMilliseconds(),
    ),
  );
}

function after(from: Date, period: Period): Date {
  return 'months' in period
    ? addCalendarMonths(from, period.months)
    : new Date(from.getTime() + period.days * DAY_MS);
}

export function openClock(jurisdiction: Jurisdiction, receivedAt: Date): Clock {
  const rule = ruleOf(jurisdiction);
  if (Number.isNaN(receivedAt.getTime())) {
    throw invalidArgument('RECEIVED_AT_INVALID', 'receivedAt is not a valid date', [
      { field: 'receivedAt', description: 'a valid date' },
    ]);
  }
  return { jurisdiction, receivedAt, baseDueAt: after(receivedAt, rule.base), extended: false, pausedMs: 0 };
}

/** Milliseconds the clock has stood still: completed pauses, plus the running one up to `now`. */
function pausedSoFar(clock: Clock, now: Date): number {
  const running = clock.pausedAt ? Math.max(0, now.getTime() - clock.pausedAt.getTime()) : 0;
  return clock.pausedMs + running;
}

/** Base (or extended) due date, moved later by every pause; a running pause counts up to `now`. */
export function dueAt(clock: Clock, now: Date = new Date()): Date {
  const { extended } = ruleOf(clock.jurisdiction);
  const unpaused = clock.extended && extended ? after(clock.receivedAt, extended) : clock.baseDueAt;
  return new Date(unpaused.getTime() + pausedSoFar(clock, now));
}

/**
 * Takes the law's one extension. It needs a reason, and must be decided by the original due date (the
 * subject has to be told within the first period); pauses do not widen that window.
 */
export function extend(clock: Clock, reason: string, now: Date): Clock {
  const trimmed = reason.trim();
  if (trimmed.length === 0) {
    throw invalidArgument('EXTENSION_REASON_REQUIRED', 'an extension needs a reason', [
      { field: 'reason', description: 'must not be empty' },
    ]);
  }
  if (!ruleOf(clock.jurisdiction).extended) {
    throw failedPrecondition('EXTENSION_NOT_ALLOWED', `${clock.jurisdiction} does not allow an extension`);
  }
  if (clock.extended) {
    throw failedPrecondition('ALREADY_EXTENDED', 'the deadline has already been extended once');
  }
  if (now.getTime() > clock.baseDueAt.getTime()) {
    throw failedPrecondition('EXTENSION_TOO_LATE', 'an extension must be decided by the original due date');
  }
  return { ...clock, extended: true, extensionReason: trimmed };
}

export function pause(clock: Clock, now: Date): Clock {
  if (clock.pausedAt) throw failedPrecondition('ALREADY_PAUSED', 'the clock is already paused');
  return { ...clock, pausedAt: now };
}

export function resume(clock: Clock, now: Date): Clock {
  if (!clock.pausedAt) throw failedPrecondition('NOT_PAUSED', 'the clock is not paused');
  const paused = now.getTime() - clock.pausedAt.getTime();
  if (paused < 0) {
    throw invalidArgument('RESUMED_BEFORE_PAUSED', 'a clock cannot resume before it was paused', [
      { field: 'now', description: 'must not be before the pause started' },
    ]);
  }
  const { pausedAt: _pausedAt, ...running } = clock;
  return { ...running, pausedMs: clock.pausedMs + paused };
}

/**
 * CCPA (11 CCR § 7021(a)): confirm receipt within 10 business days, counted Monday to Friday from the day
 * after receipt, at the time of receipt. No holiday calendar. Other jurisdictions have no such duty.
 */
export function acknowledgeBy(clock: Clock): Date | undefined {
  if (clock.jurisdiction !== 'ccpa') return undefined;
  let at = clock.receivedAt.getTime();
  let businessDays = 0;
  while (businessDays < 10) {
    at += DAY_MS;
    const weekday = new Date(at).getUTCDay();
    if (weekday !== 0 && weekday !== 6) businessDays += 1;
  }
  return new Date(at);
}

/** Overdue once past the due date; due soon when at most `dueSoonDays` remain. A paused clock's time left stands still. */
export function urgency(clock: Clock, now: Date, dueSoonDays = 7): Urgency {
  const remaining = dueAt(clock, now).getTime() - now.getTime();
  if (remaining < 0) return 'overdue';
  return remaining <= dueSoonDays * DAY_MS ? 'due_soon' : 'on_track';
}
