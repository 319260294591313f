import { createHmac, timingSafeEqual } from 'node:crypto';

/** Headers of a signed callback (tools/carrier-sim/README.md, "Callbacks"). */
export const SIGNATURE_HEADER = 'x-carrier-sim-signature';
export const TIMESTAMP_HEADER = 'x-carrier-sim-timestamp';
export const EVENT_ID_HEADER = 'x-carrier-sim-event-id';

/** `v1=` + hex HMAC-SHA256 of `<timestamp>.<raw body>` under the callback secret. */
export function signCallback(secret: string, timestamp: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * True when `signature` is the simulator's signature of exactly this body at this timestamp, and the
 * timestamp is within `toleranceSeconds` of now (a replayed old callback is refused).
 */
export function verifyCallback(input: {
  secret: string;
  body: string;
  timestamp: string | undefined;
  signature: string | undefined;
  toleranceSeconds?: number;
  now?: Date;
}): boolean {
  const { secret, body, timestamp, signature } = input;
  if (!timestamp || !signature || !/^\d+$/.test(timestamp)) return false;
  const seconds = Number(timestamp);
  const now = Math.floor((input.now ?? new Date()).getTime() / 1000);
  if (Math.abs(now - seconds) > (input.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(signCallback(secret, seconds, body));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
