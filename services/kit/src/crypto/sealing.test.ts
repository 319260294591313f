import { describe, expect, it } from '@jest/globals';
import { Sealer } from './sealing';

const secret = 'a-test-secret-that-is-long-enough-0123456789';

describe('Sealer (kit)', () => {
  it('opens what it sealed for the same purpose and associated data', () => {
    const sealed = new Sealer(secret, { purpose: 'one' }).seal(Buffer.from('token'), 'tenant-a');
    expect(new Sealer(secret, { purpose: 'one' }).open(sealed, 'tenant-a').toString()).toBe('token');
  });

  it('derives an independent key per purpose: one purpose cannot open another', () => {
    const sealed = new Sealer(secret, { purpose: 'one' }).seal(Buffer.from('token'), 'tenant-a');
    expect(() => new Sealer(secret, { purpose: 'two' }).open(sealed, 'tenant-a')).toThrow(
      expect.objectContaining({ reason: 'SEALED_DATA_UNREADABLE' }),
    );
  });

  it('refuses other associated data with the error it was given', () => {
    const sealer = new Sealer(secret, {
      purpose: 'one',
      unreadable: () => new Error('custom') as never,
    });
    const sealed = sealer.seal(Buffer.from('token'), 'tenant-a');
    expect(() => sealer.open(sealed, 'tenant-b')).toThrow('custom');
  });

  it('refuses a short secret', () => {
    expect(() => new Sealer('short', { purpose: 'one' })).toThrow(
      expect.objectContaining({ reason: 'SEALING_SECRET_TOO_SHORT' }),
    );
  });
});
