import { describe, expect, it } from '@jest/globals';
import { readiness } from './readiness';

describe('readiness', () => {
  it('is ready only when every service is SERVING, and names each state', () => {
    expect(readiness({ identity: 'SERVING', billing: 'SERVING' })).toEqual({
      status: 'ready',
      services: { identity: 'SERVING', billing: 'SERVING' },
    });
    expect(readiness({ identity: 'SERVING', billing: 'UNREACHABLE' }).status).toBe('not_ready');
    expect(readiness({ identity: 'NOT_SERVING' }).status).toBe('not_ready');
  });
});
