import { describe, expect, it } from '@jest/globals';
import { freePort } from './ports';

describe('freePort', () => {
  it('never hands out the same port twice in one process, since none is bound before all are picked', async () => {
    // A launcher picks every port before its services bind them; 300 picks from the 12,000-port range
    // would repeat a port most of the time if picks were independent.
    const ports: number[] = [];
    for (let index = 0; index < 300; index += 1) ports.push(await freePort());
    expect(new Set(ports).size).toBe(ports.length);
    expect(ports.every((port) => port >= 1 && port <= 65_535)).toBe(true);
  });
});
