import { dailyCron, isCronExpression, isTimeOfDay, lastOccurrence, nextOccurrence } from './schedule';

describe('dailyCron', () => {
  it('turns HH:MM into a daily five-field expression', () => {
    expect(dailyCron('03:00')).toBe('0 3 * * *');
    expect(dailyCron('23:59')).toBe('59 23 * * *');
    expect(dailyCron('00:05')).toBe('5 0 * * *');
  });

  it.each(['3:00', '24:00', '12:60', '0300', 'noon', '', '03:00:00'])('refuses %j', (value) => {
    expect(isTimeOfDay(value)).toBe(false);
    expect(() => dailyCron(value)).toThrow('is not a time of day');
  });
});

describe('isCronExpression', () => {
  it('accepts five-field expressions', () => {
    expect(isCronExpression('* * * * *')).toBe(true);
    expect(isCronExpression('*/5 * * * *')).toBe(true);
    expect(isCronExpression('0 3 * * 1-5', 'Europe/Paris')).toBe(true);
  });

  it('refuses seconds fields, garbage and out-of-range values', () => {
    expect(isCronExpression('*/5 * * * * *')).toBe(false);
    expect(isCronExpression('every day')).toBe(false);
    expect(isCronExpression('61 * * * *')).toBe(false);
    expect(isCronExpression('0 25 * * *')).toBe(false);
  });
});

describe('lastOccurrence', () => {
  it('is the latest fire time at or before now', () => {
    const cron = dailyCron('03:00');
    expect(lastOccurrence(cron, new Date('2026-05-10T10:00:00Z')).toISOString()).toBe(
      '2026-05-10T03:00:00.000Z',
    );
    expect(lastOccurrence(cron, new Date('2026-05-10T02:59:59Z')).toISOString()).toBe(
      '2026-05-09T03:00:00.000Z',
    );
  });

  it('counts a fire exactly at now as this period', () => {
    expect(lastOccurrence('0 3 * * *', new Date('2026-05-10T03:00:00Z')).toISOString()).toBe(
      '2026-05-10T03:00:00.000Z',
    );
  });

  it('reads the expression in the given time zone', () => {
    // 03:00 in Paris in May is 01:00 UTC.
    expect(lastOccurrence('0 3 * * *', new Date('2026-05-10T10:00:00Z'), 'Europe/Paris').toISOString()).toBe(
      '2026-05-10T01:00:00.000Z',
    );
  });
});

describe('nextOccurrence', () => {
  it('is the first fire time after now', () => {
    expect(nextOccurrence('*/10 * * * *', new Date('2026-05-10T10:03:00Z')).toISOString()).toBe(
      '2026-05-10T10:10:00.000Z',
    );
  });
});
