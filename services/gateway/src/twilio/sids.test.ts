import { describe, expect, it } from '@jest/globals';
import { sidOf, uuidOf } from './sids';

describe('SIDs over UUIDs', () => {
  const id = '019a7c3e-8f20-7b41-9c2d-5e6f7a8b9c0d';

  it('round-trips a UUID through its SID', () => {
    expect(sidOf('SM', id)).toBe('SM019a7c3e8f207b419c2d5e6f7a8b9c0d');
    expect(uuidOf('SM', sidOf('SM', id))).toBe(id);
    expect(uuidOf('PN', sidOf('PN', id))).toBe(id);
  });

  it('refuses a SID of another kind or of the wrong shape', () => {
    expect(uuidOf('PN', sidOf('SM', id))).toBeUndefined();
    expect(uuidOf('SM', 'SM123')).toBeUndefined();
    expect(uuidOf('SM', `${sidOf('SM', id)}0`)).toBeUndefined();
  });
});
