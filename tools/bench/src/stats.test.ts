import { describe, expect, it } from '@jest/globals';
import { latencySummary, percentile, treeRssBytes } from './stats';

describe('bench statistics', () => {
  it('takes nearest-rank percentiles', () => {
    const hundred = Array.from({ length: 100 }, (_, index) => index + 1);
    expect(percentile(hundred, 0.5)).toBe(50);
    expect(percentile(hundred, 0.99)).toBe(99);
    expect(percentile([7], 0.99)).toBe(7);
    expect(percentile([], 0.5)).toBeUndefined();
    expect(latencySummary([5, 1, 3, 2, 4])).toEqual({ p50: 3, p99: 5, max: 5, samples: 5 });
  });

  it('reads the resident memory of a live process', () => {
    expect(treeRssBytes(process.pid)).toBeGreaterThan(10 * 1024 * 1024);
    expect(treeRssBytes(2 ** 22 + 12345)).toBe(0);
  });
});
