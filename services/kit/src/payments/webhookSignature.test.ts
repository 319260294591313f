import { describe, expect, it } from '@jest/globals';
import { signPaymentWebhook, verifyPaymentWebhook } from './webhookSignature';

const secret = 'whsec_test_0123456789abcdef';
const body = '{"id":"evt_1","type":"charge.succeeded"}';
const now = new Date('2026-12-01T12:00:00Z');
const at = Math.floor(now.getTime() / 1000);

describe('verifyPaymentWebhook', () => {
  it('accepts the signature of this body at a recent time', () => {
    expect(
      verifyPaymentWebhook({ secret, body, header: signPaymentWebhook(secret, at - 10, body), now }),
    ).toBe(true);
  });

  it('accepts any one of several v1 signatures (a secret being rolled)', () => {
    const header = `${signPaymentWebhook('whsec_old_secret_000000', at, body)},v1=${signPaymentWebhook(secret, at, body).split('v1=')[1]}`;
    expect(verifyPaymentWebhook({ secret, body, header, now })).toBe(true);
  });

  it.each([
    ['another body', signPaymentWebhook(secret, at, `${body} `)],
    ['another secret', signPaymentWebhook('whsec_someone_else_00000', at, body)],
    ['a timestamp too old', signPaymentWebhook(secret, at - 301, body)],
    ['a timestamp from the future', signPaymentWebhook(secret, at + 301, body)],
    ['no timestamp', `v1=${signPaymentWebhook(secret, at, body).split('v1=')[1]}`],
    ['a garbled header', 't=abc,v1=zz'],
    ['no header', undefined],
  ])('refuses %s', (_what, header) => {
    expect(verifyPaymentWebhook({ secret, body, header, now })).toBe(false);
  });
});
