import { missedPeriod, periodOf, retentionCron } from './retentionSchedule';

describe('retentionCron', () => {
  it('runs daily at RETENTION_RUN_AT (UTC)', () => {
    expect(retentionCron({ RETENTION_RUN_AT: '03:00' })).toBe('0 3 * * *');
    expect(retentionCron({ RETENTION_RUN_AT: '22:30' })).toBe('30 22 * * *');
  });

  it('lets RETENTION_CRON replace the daily time', () => {
    expect(retentionCron({ RETENTION_RUN_AT: '03:00', RETENTION_CRON: '0 3 * * 1' })).toBe('0 3 * * 1');
  });

  it('has no schedule when off', () => {
    expect(retentionCron({ RETENTION_RUN_AT: 'off' })).toBeUndefined();
  });
});

describe('periodOf', () => {
  it('names the period a late retry still belongs to', () => {
    expect(periodOf('0 3 * * *', new Date('2026-03-04T03:00:07Z')).toISOString()).toBe(
      '2026-03-04T03:00:00.000Z',
    );
    expect(periodOf('0 3 * * *', new Date('2026-03-04T02:00:00Z')).toISOString()).toBe(
      '2026-03-03T03:00:00.000Z',
    );
  });
});

describe('missedPeriod', () => {
  const cron = '0 3 * * *';
  const now = new Date('2026-03-04T09:00:00Z');

  it('makes up the last scheduled run when the latest cycle is older', () => {
    expect(missedPeriod(cron, now, new Date('2026-03-03T03:00:00Z'))?.toISOString()).toBe(
      '2026-03-04T03:00:00.000Z',
    );
  });

  it('makes up a run when there has never been one', () => {
    expect(missedPeriod(cron, now, undefined)?.toISOString()).toBe('2026-03-04T03:00:00.000Z');
  });

  it('owes nothing when the last scheduled run has started', () => {
    expect(missedPeriod(cron, now, new Date('2026-03-04T03:00:00Z'))).toBeUndefined();
  });

  it('owes nothing before today’s time when yesterday’s ran', () => {
    expect(
      missedPeriod(cron, new Date('2026-03-04T02:59:00Z'), new Date('2026-03-03T03:00:00Z')),
    ).toBeUndefined();
  });
});
