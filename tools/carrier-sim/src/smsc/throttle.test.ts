import { describe, expect, it } from '@jest/globals';
import { SubmitThrottle } from './throttle';

const admitted = async (throttle: SubmitThrottle, key: string, attempts: number) => {
  const answers = await Promise.all(Array.from({ length: attempts }, () => throttle.admit(key)));
  return answers.filter(Boolean).length;
};

describe('SubmitThrottle', () => {
  it('admits the per-second budget of one bind, not more', async () => {
    const throttle = new SubmitThrottle(5);
    expect(await admitted(throttle, 'bind-a', 8)).toBe(5);
    expect(await throttle.admit('bind-a')).toBe(false);
  });

  it('counts each bind on its own', async () => {
    const throttle = new SubmitThrottle(2);
    expect(await admitted(throttle, 'bind-a', 3)).toBe(2);
    expect(await admitted(throttle, 'bind-b', 3)).toBe(2);
  });

  it('0 means no limit', async () => {
    expect(await admitted(new SubmitThrottle(0), 'bind-a', 1_000)).toBe(1_000);
  });
});
