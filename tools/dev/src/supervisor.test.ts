import { describe, expect, it } from '@jest/globals';
import { RestartPolicy } from './supervisor';

const policy = () =>
  new RestartPolicy({ maxRestarts: 3, windowMs: 60_000, firstDelayMs: 1_000, maxDelayMs: 3_000 });

describe('RestartPolicy', () => {
  it('restarts a crashed service after a delay that doubles with each crash, up to the cap', () => {
    const service = policy();
    expect(service.crashed(0)).toEqual({ action: 'restart', delayMs: 1_000, restart: 1 });
    expect(service.crashed(5_000)).toEqual({ action: 'restart', delayMs: 2_000, restart: 2 });
    expect(service.crashed(10_000)).toEqual({ action: 'restart', delayMs: 3_000, restart: 3 });
  });

  it('gives up on the crash after maxRestarts within the window', () => {
    const service = policy();
    for (const at of [0, 1_000, 2_000]) expect(service.crashed(at).action).toBe('restart');
    expect(service.crashed(59_999)).toEqual({ action: 'give-up', crashes: 4 });
  });

  it('forgets crashes older than the window: a service that crashes now and then is always restarted', () => {
    const service = policy();
    for (let hour = 0; hour < 10; hour += 1)
      expect(service.crashed(hour * 3_600_000)).toEqual({ action: 'restart', delayMs: 1_000, restart: 1 });
    // A crash one second after the last one counts with it: it is the second in the window.
    expect(service.crashed(9 * 3_600_000 + 1_000)).toEqual({ action: 'restart', delayMs: 2_000, restart: 2 });
  });
});
