import { describe, expect, it } from '@jest/globals';
import { within } from './within';

describe('within', () => {
  it('answers true for work that resolves or rejects in time', async () => {
    await expect(within(1_000, Promise.resolve('done'))).resolves.toBe(true);
    await expect(within(1_000, Promise.reject(new Error('failed')))).resolves.toBe(true);
  });

  it('gives up on work that does not settle, after about the time given', async () => {
    const started = Date.now();
    await expect(within(50, new Promise(() => undefined))).resolves.toBe(false);
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
  });

  it('ignores a rejection that arrives after it gave up', async () => {
    let fail: (error: Error) => void = () => undefined;
    const late = new Promise((_, reject) => {
      fail = reject;
    });
    await expect(within(10, late)).resolves.toBe(false);
    fail(new Error('late'));
    await new Promise((resolve) => setImmediate(resolve));
  });
});
