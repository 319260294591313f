import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * A payment processor's signed webhooks, the way Stripe signs them: one header
 * `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`. The payment simulator (tools/payment-sim)
 * signs with it and billing checks it: shared so the scheme is written once.
 */
export const PAYMENT_WEBHOOK_SIGNATURE_HEADER = 'payment-sim-signature';

export function signPaymentWebhook(secret: string, timestamp: number, body: string): string {
  return `t=${timestamp},v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * True when the header carries a signature of exactly this body under the secret, made within
 * `toleranceSeconds` of now (an old webhook replayed by someone who recorded it is refused). Several `v1`
 * entries are allowed (a secret being rolled): any one matching is enough.
 */
export function verifyPaymentWebhook(input: {
  secret: string;
  body: string;
  header: string | undefined;
  toleranceSeconds?: number;
  now?: Date;
}): boolean {
  const parts = (input.header ?? '').split(',').map((part) => part.trim().split('=', 2) as [string, string?]);
  const timestamp = parts.find(([key]) => key === 't')?.[1];
  if (!timestamp || !/^\d{1,12}$/.test(timestamp)) return false;
  const now = Math.floor((input.now ?? new Date()).getTime() / 1000);
  if (Math.abs(now - Number(timestamp)) > (input.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(
    signPaymentWebhook(input.secret, Number(timestamp), input.body).split('v1=')[1]!,
  );
  return parts.some(([key, value]) => {
    if (key !== 'v1' || value === undefined) return false;
    const given = Buffer.from(value);
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}
