import { describe, expect, it } from '@jest/globals';
import { AppError } from '@parley/kit';
import {
  acknowledgeBy,
  dueAt,
  extend,
  openClock,
  pause,
  resume,
  urgency,
  type Clock,
  type Jurisdiction,
} from './clock';

const at = (iso: string) => new Date(iso);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function thrown(action: () => unknown): AppError {
  try {
    action();
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected an AppError');
}

describe('openClock', () => {
  describe.each<Jurisdiction>(['gdpr', 'uk_gdpr', 'other'])('%s: one calendar month', (jurisdiction) => {
    it.each([
      ['31 January, non-leap year', '2023-01-31T09:30:00.000Z', '2023-02-28T09:30:00.000Z'],
      ['31 January, leap year', '2024-01-31T09:30:00.000Z', '2024-02-29T09:30:00.000Z'],
      ['30 January, non-leap year', '2023-01-30T23:59:59.999Z', '2023-02-28T23:59:59.999Z'],
      ['30 January, leap year', '2024-01-30T00:00:00.000Z', '2024-02-29T00:00:00.000Z'],
      ['28 February, non-leap year', '2023-02-28T12:00:00.000Z', '2023-03-28T12:00:00.000Z'],
      ['31 March', '2023-03-31T08:00:00.000Z', '2023-04-30T08:00:00.000Z'],
      ['31 December', '2023-12-31T17:45:00.000Z', '2024-01-31T17:45:00.000Z'],
      ['15 June', '2023-06-15T10:00:00.000Z', '2023-07-15T10:00:00.000Z'],
    ])('received %s', (_name, received, due) => {
      const clock = openClock(jurisdiction, at(received));
      expect(clock.baseDueAt.toISOString()).toBe(due);
      expect(dueAt(clock, at(received)).toISOString()).toBe(due);
      expect(clock).toMatchObject({ extended: false, pausedMs: 0 });
      expect(clock.pausedAt).toBeUndefined();
    });
  });

  it('ccpa: 45 calendar days', () => {
    const clock = openClock('ccpa', at('2024-01-01T12:00:00Z'));
    expect(clock.baseDueAt.toISOString()).toBe('2024-02-15T12:00:00.000Z');
  });

  it('rejects an unknown jurisdiction and an invalid date', () => {
    expect(thrown(() => openClock('mars' as Jurisdiction, at('2024-01-01T00:00:00Z')))).toMatchObject({
      kind: 'invalid_argument',
      reason: 'JURISDICTION_UNKNOWN',
    });
    expect(thrown(() => openClock('gdpr', new Date('not a date')))).toMatchObject({
      kind: 'invalid_argument',
      reason: 'RECEIVED_AT_INVALID',
    });
  });
});

describe('extend', () => {
  describe('gdpr: three calendar months from receipt, month ends counted from the original date', () => {
    it.each([
      ['2023-01-31T09:30:00.000Z', '2023-04-30T09:30:00.000Z'],
      ['2024-01-31T09:30:00.000Z', '2024-04-30T09:30:00.000Z'],
      ['2023-11-30T00:00:00.000Z', '2024-02-29T00:00:00.000Z'],
      ['2022-11-30T00:00:00.000Z', '2023-02-28T00:00:00.000Z'],
      ['2023-12-31T17:45:00.000Z', '2024-03-31T17:45:00.000Z'],
      ['2023-06-15T10:00:00.000Z', '2023-09-15T10:00:00.000Z'],
    ])('received %s is due %s once extended', (received, due) => {
      const clock = extend(openClock('gdpr', at(received)), 'complex request', at(received));
      expect(clock).toMatchObject({ extended: true, extensionReason: 'complex request' });
      expect(dueAt(clock, at(received)).toISOString()).toBe(due);
      expect(clock.baseDueAt.toISOString()).toBe(openClock('gdpr', at(received)).baseDueAt.toISOString());
    });
  });

  it('ccpa: 90 days in total', () => {
    const received = at('2024-01-01T12:00:00Z');
    const clock = extend(openClock('ccpa', received), 'many systems to search', received);
    expect(dueAt(clock, received).toISOString()).toBe('2024-03-31T12:00:00.000Z');
  });

  describe('EXTENSION_TOO_LATE', () => {
    it('gdpr: allowed up to and including the base due date, refused one millisecond after', () => {
      const clock = openClock('gdpr', at('2024-01-31T09:30:00Z'));
      expect(extend(clock, 'complex', at('2024-02-29T09:30:00.000Z')).extended).toBe(true);
      const error = thrown(() => extend(clock, 'complex', at('2024-02-29T09:30:00.001Z')));
      expect(error).toMatchObject({ kind: 'failed_precondition', reason: 'EXTENSION_TOO_LATE' });
    });

    it('ccpa: refused once the original 45 days have elapsed', () => {
      const received = at('2024-01-01T12:00:00Z');
      const clock = openClock('ccpa', received);
      expect(extend(clock, 'complex', new Date(received.getTime() + 45 * DAY)).extended).toBe(true);
      expect(
        thrown(() => extend(clock, 'complex', new Date(received.getTime() + 45 * DAY + 1))),
      ).toMatchObject({
        reason: 'EXTENSION_TOO_LATE',
      });
    });

    it('a pause does not widen the window to extend', () => {
      const received = at('2024-06-15T00:00:00Z');
      const paused = pause(openClock('gdpr', received), at('2024-06-20T00:00:00Z'));
      const clock = resume(paused, at('2024-06-30T00:00:00Z'));
      expect(dueAt(clock).toISOString()).toBe('2024-07-25T00:00:00.000Z');
      expect(thrown(() => extend(clock, 'complex', at('2024-07-16T00:00:00Z'))).reason).toBe(
        'EXTENSION_TOO_LATE',
      );
    });
  });

  describe('ALREADY_EXTENDED', () => {
    it('allows the extension only once', () => {
      const received = at('2024-01-01T00:00:00Z');
      const once = extend(openClock('gdpr', received), 'complex', received);
      expect(thrown(() => extend(once, 'more', received))).toMatchObject({
        kind: 'failed_precondition',
        reason: 'ALREADY_EXTENDED',
      });
    });
  });

  describe('EXTENSION_REASON_REQUIRED', () => {
    it.each(['', '   '])('refuses the reason %j', (reason) => {
      const received = at('2024-01-01T00:00:00Z');
      const error = thrown(() => extend(openClock('ccpa', received), reason, received));
      expect(error).toMatchObject({ kind: 'invalid_argument', reason: 'EXTENSION_REASON_REQUIRED' });
      expect(error.fieldViolations.map((violation) => violation.field)).toEqual(['reason']);
    });

    it('stores the reason trimmed', () => {
      const received = at('2024-01-01T00:00:00Z');
      expect(extend(openClock('gdpr', received), '  volume  ', received).extensionReason).toBe('volume');
    });
  });
});

describe('pause and resume', () => {
  const received = at('2024-06-15T00:00:00Z');
  const base = openClock('gdpr', received);

  it('a completed pause shifts the due date by exactly its length', () => {
    const clock = resume(pause(base, at('2024-06-20T00:00:00Z')), at('2024-06-22T06:00:00.250Z'));
    expect(clock.pausedMs).toBe(2 * DAY + 6 * HOUR + 250);
    expect(clock.pausedAt).toBeUndefined();
    expect(dueAt(clock, at('2024-12-31T00:00:00Z')).toISOString()).toBe('2024-07-17T06:00:00.250Z');
    expect(clock.baseDueAt).toEqual(base.baseDueAt);
  });

  it('a running pause counts up to now', () => {
    const paused = pause(base, at('2024-06-20T00:00:00Z'));
    expect(dueAt(paused, at('2024-06-20T00:00:00Z')).toISOString()).toBe('2024-07-15T00:00:00.000Z');
    expect(dueAt(paused, at('2024-06-25T12:00:00Z')).toISOString()).toBe('2024-07-20T12:00:00.000Z');
  });

  it('pauses add up, and stack on an extension', () => {
    let clock: Clock = extend(base, 'complex', received);
    clock = resume(pause(clock, at('2024-06-16T00:00:00Z')), at('2024-06-17T00:00:00Z'));
    clock = resume(pause(clock, at('2024-07-01T00:00:00Z')), at('2024-07-04T00:00:00Z'));
    clock = pause(clock, at('2024-08-01T00:00:00Z'));
    expect(clock.pausedMs).toBe(4 * DAY);
    expect(dueAt(clock, at('2024-08-03T00:00:00Z')).toISOString()).toBe('2024-09-21T00:00:00.000Z');
  });

  it('does not change the clock it was given', () => {
    pause(base, at('2024-06-20T00:00:00Z'));
    expect(base.pausedAt).toBeUndefined();
  });

  it('ALREADY_PAUSED: refuses to pause twice', () => {
    const paused = pause(base, at('2024-06-20T00:00:00Z'));
    expect(thrown(() => pause(paused, at('2024-06-21T00:00:00Z')))).toMatchObject({
      kind: 'failed_precondition',
      reason: 'ALREADY_PAUSED',
    });
  });

  it('NOT_PAUSED: refuses to resume a running clock', () => {
    expect(thrown(() => resume(base, at('2024-06-21T00:00:00Z')))).toMatchObject({
      kind: 'failed_precondition',
      reason: 'NOT_PAUSED',
    });
  });

  it('RESUMED_BEFORE_PAUSED: refuses a resume earlier than the pause', () => {
    const paused = pause(base, at('2024-06-20T00:00:00Z'));
    expect(thrown(() => resume(paused, at('2024-06-19T00:00:00Z'))).reason).toBe('RESUMED_BEFORE_PAUSED');
  });
});

describe('acknowledgeBy', () => {
  it.each([
    ['a Friday', '2024-06-07T15:00:00.000Z', '2024-06-21T15:00:00.000Z'],
    ['a Saturday', '2024-06-08T15:00:00.000Z', '2024-06-21T15:00:00.000Z'],
    ['a Sunday', '2024-06-09T15:00:00.000Z', '2024-06-21T15:00:00.000Z'],
    ['a Monday', '2024-06-10T15:00:00.000Z', '2024-06-24T15:00:00.000Z'],
    ['a Wednesday', '2024-06-05T08:00:00.000Z', '2024-06-19T08:00:00.000Z'],
  ])('ccpa: received on %s, 10 business days later', (_day, received, due) => {
    expect(acknowledgeBy(openClock('ccpa', at(received)))?.toISOString()).toBe(due);
  });

  it.each<Jurisdiction>(['gdpr', 'uk_gdpr', 'other'])('%s: no acknowledgement deadline', (jurisdiction) => {
    expect(acknowledgeBy(openClock(jurisdiction, at('2024-06-07T15:00:00Z')))).toBeUndefined();
  });
});

describe('urgency', () => {
  // Due 2024-07-15T00:00Z.
  const clock = openClock('gdpr', at('2024-06-15T00:00:00Z'));

  it.each([
    ['more than 7 days left', 'on_track', '2024-07-07T23:59:59.999Z'],
    ['exactly 7 days left', 'due_soon', '2024-07-08T00:00:00.000Z'],
    ['on the due instant', 'due_soon', '2024-07-15T00:00:00.000Z'],
    ['one millisecond past due', 'overdue', '2024-07-15T00:00:00.001Z'],
  ])('%s is %s', (_name, expected, now) => {
    expect(urgency(clock, at(now))).toBe(expected);
  });

  it('takes a custom threshold', () => {
    expect(urgency(clock, at('2024-07-01T00:00:00Z'), 14)).toBe('due_soon');
    expect(urgency(clock, at('2024-07-01T00:00:00Z'), 13)).toBe('on_track');
  });

  it('a paused clock does not run towards overdue', () => {
    const paused = pause(clock, at('2024-07-01T00:00:00Z'));
    expect(urgency(paused, at('2024-09-01T00:00:00Z'))).toBe('on_track');
  });

  it('an extension moves an overdue request back on track', () => {
    const extended = extend(clock, 'complex', at('2024-07-10T00:00:00Z'));
    expect(urgency(clock, at('2024-07-20T00:00:00Z'))).toBe('overdue');
    expect(urgency(extended, at('2024-07-20T00:00:00Z'))).toBe('on_track');
  });
});
