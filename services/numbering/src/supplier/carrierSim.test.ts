import { describe, expect, it } from '@jest/globals';
import { retryAfterSeconds } from './carrierSim';

describe('retryAfterSeconds', () => {
  const now = Date.parse('2026-12-01T10:00:00Z');
  it('reads delta-seconds and HTTP dates, and nothing else', () => {
    expect(retryAfterSeconds('30', now)).toBe(30);
    expect(retryAfterSeconds('Tue, 01 Dec 2026 10:01:00 GMT', now)).toBe(60);
    expect(retryAfterSeconds('Tue, 01 Dec 2026 09:59:00 GMT', now)).toBe(0);
    expect(retryAfterSeconds('soon', now)).toBeUndefined();
    expect(retryAfterSeconds(null, now)).toBeUndefined();
  });
});
