import { describe, expect, it } from '@jest/globals';
import { isSigning, nextAttemptAt, outcomeOf, type RetryPolicy } from './webhooks';

const policy: RetryPolicy = { windowMs: 24 * 3_600_000, baseDelayMs: 5_000, maxDelayMs: 3_600_000 };
const start = new Date('2026-12-01T00:00:00Z');
const after = (ms: number) => new Date(start.getTime() + ms);

describe('nextAttemptAt', () => {
  it('backs off exponentially, jittered within the upper half of each delay', () => {
    expect(nextAttemptAt(start, 1, start, policy, () => 0)).toEqual(after(2_500));
    expect(nextAttemptAt(start, 1, start, policy, () => 1)).toEqual(after(5_000));
    expect(nextAttemptAt(start, 4, start, policy, () => 1)).toEqual(after(40_000));
    expect(nextAttemptAt(start, 4, start, policy, () => 0.5)).toEqual(after(30_000));
  });

  it('never waits longer than the maximum delay', () => {
    expect(nextAttemptAt(start, 30, start, policy, () => 1)).toEqual(after(3_600_000));
  });

  it('keeps retrying for the whole window: the last attempt is at its end, then the delivery is parked', () => {
    const nearEnd = after(policy.windowMs - 1_000);
    expect(nextAttemptAt(nearEnd, 20, start, policy, () => 1)).toEqual(after(policy.windowMs));
    expect(nextAttemptAt(after(policy.windowMs), 21, start, policy)).toBeUndefined();
  });

  it('spans at least 24 hours with the defaults before parking', () => {
    let now = start;
    let attempts = 1;
    for (
      let next = nextAttemptAt(now, attempts, start, policy);
      next;
      next = nextAttemptAt(now, attempts, start, policy)
    ) {
      now = next;
      attempts += 1;
    }
    expect(now.getTime() - start.getTime()).toBeGreaterThanOrEqual(24 * 3_600_000);
    expect(attempts).toBeLessThan(60);
  });
});

describe('outcomeOf', () => {
  it.each([
    [{ ok: true, status: 200 }, { kind: 'delivered' }],
    [{ ok: false, status: 410, failure: 'http_status' as const }, { kind: 'gone' }],
    [
      { ok: false, status: 500, failure: 'http_status' as const },
      { kind: 'retry', error: 'http_status' },
    ],
    [
      { ok: false, status: 302, failure: 'redirect' as const },
      { kind: 'retry', error: 'redirect' },
    ],
    [
      { ok: false, failure: 'timeout' as const },
      { kind: 'retry', error: 'timeout' },
    ],
    [
      { ok: false, failure: 'address_refused' as const },
      { kind: 'park', error: 'address_refused' },
    ],
    [
      { ok: false, failure: 'url_invalid' as const },
      { kind: 'park', error: 'url_invalid' },
    ],
  ])('%j -> %j', (result, outcome) => {
    expect(outcomeOf(result)).toEqual(outcome);
  });
});

describe('isSigning', () => {
  it('signs while current or until a retired secret expires', () => {
    expect(isSigning({ expiresAt: null }, start)).toBe(true);
    expect(isSigning({ expiresAt: after(1) }, start)).toBe(true);
    expect(isSigning({ expiresAt: start }, start)).toBe(false);
  });
});
