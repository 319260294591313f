import { describe, expect, it } from '@jest/globals';
import { keptUntil, retentionPeriods, retentionYears } from './retention';

describe('legal retention by billing country', () => {
  it('takes the country’s period, else the default; overrides replace and add entries', () => {
    const periods = retentionPeriods({ AT: 9, CH: 10 }, 5);
    expect(retentionYears(periods, 'DE')).toBe(10);
    expect(retentionYears(periods, 'gb')).toBe(6);
    expect(retentionYears(periods, 'AT')).toBe(9);
    expect(retentionYears(periods, 'CH')).toBe(10);
    expect(retentionYears(periods, 'BR')).toBe(5);
    expect(retentionYears(periods, null)).toBe(5);
  });

  it('counts from the end of the calendar year the customer left in', () => {
    expect(keptUntil(new Date('2026-12-01T10:00:00Z'), 10).toISOString()).toBe('2037-01-01T00:00:00.000Z');
    expect(keptUntil(new Date('2026-01-01T00:00:00Z'), 6).toISOString()).toBe('2033-01-01T00:00:00.000Z');
  });
});
