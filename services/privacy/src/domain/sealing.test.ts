import { createHash } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { Sealer, hashToken, randomToken } from './sealing';

const secret = 'a-test-secret-that-is-long-enough-0123456789';
const unreadable = expect.objectContaining({
  kind: 'failed_precondition',
  reason: 'SEALED_ARCHIVE_UNREADABLE',
});

describe('Sealer', () => {
  const sealer = new Sealer(secret);
  const plain = Buffer.from('PK\u0003\u0004 an archive with personal data: +44 7700 900123');

  it('opens what it sealed', () => {
    const sealed = sealer.seal(plain, 'request:r_1');
    expect(sealer.open(sealed, 'request:r_1')).toEqual(plain);
    expect(new Sealer(secret).open(sealed, 'request:r_1')).toEqual(plain);
  });

  it('round-trips an empty and a large buffer', () => {
    expect(sealer.open(sealer.seal(Buffer.alloc(0), 'r'), 'r')).toEqual(Buffer.alloc(0));
    const large = Buffer.alloc(3 * 1024 * 1024, 7);
    expect(sealer.open(sealer.seal(large, 'r'), 'r').equals(large)).toBe(true);
  });

  it("lays out 'v1', a 12-byte IV and a 16-byte tag before ciphertext of the plaintext's length", () => {
    const sealed = sealer.seal(plain, 'r');
    expect(sealed.subarray(0, 2).toString('ascii')).toBe('v1');
    expect(sealed.length).toBe(2 + 12 + 16 + plain.length);
    expect(sealed.includes(Buffer.from('+44 7700 900123'))).toBe(false);
  });

  it('uses a fresh IV each time', () => {
    const [first, second] = [sealer.seal(plain, 'r'), sealer.seal(plain, 'r')];
    expect(first.subarray(2, 14).equals(second.subarray(2, 14))).toBe(false);
    expect(first.equals(second)).toBe(false);
  });

  describe('SEALED_ARCHIVE_UNREADABLE', () => {
    const sealed = sealer.seal(plain, 'request:r_1');

    it.each([
      ['the magic', 0],
      ['the IV', 5],
      ['the tag', 20],
      ['the first ciphertext byte', 30],
      ['the last ciphertext byte', sealed.length - 1],
    ])('refuses a buffer with a bit flipped in %s', (_part, index) => {
      const tampered = Buffer.from(sealed);
      tampered[index] = tampered[index]! ^ 0x01;
      expect(() => sealer.open(tampered, 'request:r_1')).toThrow(unreadable);
    });

    it('refuses a truncated or extended buffer', () => {
      expect(() => sealer.open(sealed.subarray(0, sealed.length - 1), 'request:r_1')).toThrow(unreadable);
      expect(() => sealer.open(Buffer.concat([sealed, Buffer.from([0])]), 'request:r_1')).toThrow(unreadable);
      expect(() => sealer.open(sealed.subarray(0, 20), 'request:r_1')).toThrow(unreadable);
    });

    it('refuses the wrong associated data', () => {
      expect(() => sealer.open(sealed, 'request:r_2')).toThrow(unreadable);
      expect(() => sealer.open(sealed, '')).toThrow(unreadable);
    });

    it('refuses a buffer sealed under a different secret', () => {
      const other = new Sealer(`${secret}-rotated`);
      expect(() => other.open(sealed, 'request:r_1')).toThrow(unreadable);
    });
  });

  describe('SEALING_SECRET_TOO_SHORT', () => {
    it('refuses a secret under 32 characters and accepts one of exactly 32', () => {
      expect(() => new Sealer('x'.repeat(31))).toThrow(
        expect.objectContaining({ kind: 'invalid_argument', reason: 'SEALING_SECRET_TOO_SHORT' }),
      );
      const sealer32 = new Sealer('x'.repeat(32));
      expect(sealer32.open(sealer32.seal(plain, 'r'), 'r')).toEqual(plain);
    });
  });
});

describe('download tokens', () => {
  it('are 32 random bytes in base64url', () => {
    const token = randomToken();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    expect(randomToken()).not.toBe(token);
  });

  it('hash to sha256 hex', () => {
    const token = randomToken();
    expect(hashToken(token)).toBe(createHash('sha256').update(token).digest('hex'));
    expect(hashToken('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(hashToken(token)).not.toBe(hashToken(randomToken()));
  });
});
