import { describe, expect, it } from '@jest/globals';
import { createHmac } from 'node:crypto';
import {
  signCarrierCallback as signCallback,
  verifyCarrierCallback as verifyCallback,
} from './callbackSignature';

describe('carrier callback signatures', () => {
  const secret = 'callback-secret-0123456789';
  const body = '{"id":"e1","type":"order.completed"}';
  const now = new Date('2026-12-01T10:00:00Z');
  const timestamp = Math.floor(now.getTime() / 1000);

  it('is v1= and the hex HMAC-SHA256 of "<timestamp>.<body>"', () => {
    const expected = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
    expect(signCallback(secret, timestamp, body)).toBe(`v1=${expected}`);
  });

  it('verifies the exact body at a recent timestamp only', () => {
    const signature = signCallback(secret, timestamp, body);
    const check = (overrides: Partial<Parameters<typeof verifyCallback>[0]>) =>
      verifyCallback({ secret, body, timestamp: String(timestamp), signature, now, ...overrides });
    expect(check({})).toBe(true);
    expect(check({ body: body.replace('e1', 'e2') })).toBe(false);
    expect(check({ secret: 'another-secret-0123456789' })).toBe(false);
    expect(check({ timestamp: String(timestamp + 1) })).toBe(false);
    expect(check({ now: new Date(now.getTime() + 301_000) })).toBe(false);
    expect(check({ signature: undefined })).toBe(false);
  });
});
