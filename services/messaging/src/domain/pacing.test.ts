import { describe, expect, it } from '@jest/globals';
import { DEFAULT_SENDER_RATES, occupancyMs, pacedJobId, parseSenderRates } from './pacing';

describe('sender pacing', () => {
  it('reads rates by class, keeping the defaults of classes left out', () => {
    expect(parseSenderRates('toll_free:10,short_code:0.5')).toEqual({
      long_code: 1,
      toll_free: 10,
      short_code: 0.5,
    });
  });

  it('occupies a sender one interval per segment (an unknown class paces as a long code)', () => {
    expect(occupancyMs(DEFAULT_SENDER_RATES, 'long_code', 1)).toBe(1000);
    expect(occupancyMs(DEFAULT_SENDER_RATES, 'toll_free', 3)).toBe(1000);
    expect(occupancyMs(DEFAULT_SENDER_RATES, 'short_code', 2)).toBe(20);
    expect(occupancyMs(DEFAULT_SENDER_RATES, null, 2)).toBe(2000);
  });

  it('names the paced job after message and slot: the same pair always, another slot another id', () => {
    const slot = new Date('2026-12-01T12:00:01.000Z');
    const id = pacedJobId('019a7c3e-8f20-7b41-9c2d-5e6f7a8b9c0d', slot);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(pacedJobId('019a7c3e-8f20-7b41-9c2d-5e6f7a8b9c0d', new Date(slot))).toBe(id);
    expect(pacedJobId('019a7c3e-8f20-7b41-9c2d-5e6f7a8b9c0d', new Date(slot.getTime() + 1))).not.toBe(id);
  });
});
