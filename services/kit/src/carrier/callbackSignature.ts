import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * A carrier's signed HTTP callbacks (number orders, port-ins, call detail records), as the carrier simulator
 * sends them (tools/carrier-sim/README.md, "Callbacks") and services check them: shared by both sides so
 * the scheme is written once.
 */
export const CARRIER_CALLBACK_HEADERS = {
  signature: 'x-carrier-sim-signature',
  timestamp: 'x-carrier-sim-timestamp',
  eventId: 'x-carrier-sim-event-id',
} as const;

/** `v1=` + hex HMAC-SHA256 of `<timestamp>.<raw body>` under the callback secret. */
export function signCarrierCallback(secret: string, timestamp: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * True when `signature` is the carrier's signature of exactly this body at this timestamp, and the
 * timestamp is within `toleranceSeconds` of now (a replayed old callback is refused).
 */
export function verifyCarrierCallback(input: {
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
  const expected = Buffer.from(signCarrierCallback(secret, seconds, body));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
