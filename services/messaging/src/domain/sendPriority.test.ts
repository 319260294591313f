import { describe, expect, it } from '@jest/globals';
import { priorityOf, SendPriorities } from './sendPriority';

/** Sends of one tenant at `perSecond` for `seconds`, from `start`; the last priority given. */
function sendAt(priorities: SendPriorities, tenantId: string, perSecond: number, seconds: number, start = 0) {
  let last = 0;
  for (let i = 0; i < perSecond * seconds; i++)
    last = priorities.next(tenantId, start + (i * 1000) / perSecond);
  return last;
}

describe('send priorities', () => {
  it('give an occasional or one-per-second sender the top priority', () => {
    const priorities = new SendPriorities();
    expect(priorities.next('acme', 0)).toBe(0);
    expect(sendAt(priorities, 'slow', 1, 30)).toBe(0);
  });

  it('rank a steady 40/s burst well below nine tenants at 2/s, and each of those alike', () => {
    const priorities = new SendPriorities();
    const burst = sendAt(priorities, 'burst', 40, 10);
    const light = Array.from({ length: 9 }, (_, i) => sendAt(priorities, `light-${i}`, 2, 10));
    expect(new Set(light).size).toBe(1);
    expect(burst).toBeLessThan(light[0]!);
    expect(light[0]! - burst).toBeGreaterThanOrEqual(3);
  });

  it('lower the priority as a sudden batch goes on, within one batch', () => {
    const priorities = new SendPriorities();
    const given = Array.from({ length: 200 }, () => priorities.next('batch', 5_000));
    expect(given[0]).toBe(0);
    expect(given[199]).toBeLessThan(given[10]!);
    expect([...given].sort((a, b) => b - a)).toEqual(given);
  });

  it('forget a burst within seconds after it ends', () => {
    const priorities = new SendPriorities();
    expect(sendAt(priorities, 'burst', 100, 5)).toBeLessThan(-3);
    expect(priorities.next('burst', 5_000 + 8_000)).toBe(0);
  });

  it('sweep out tenants that stopped sending', () => {
    const priorities = new SendPriorities();
    for (let i = 0; i < 50; i++) priorities.next(`tenant-${i}`, 0);
    expect(priorities.size).toBe(50);
    priorities.next('later', 60_000);
    expect(priorities.size).toBe(1);
  });

  it('bound the priority however high the rate', () => {
    expect(priorityOf(1)).toBe(0);
    expect(priorityOf(3.9)).toBe(0);
    expect(priorityOf(4)).toBe(-1);
    expect(priorityOf(1e12)).toBe(-16);
  });
});
