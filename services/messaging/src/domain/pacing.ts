// How fast one sender number may send: segments per second by its throughput class, as carriers allow
// (a long code about one segment a second, toll-free three, a short code a hundred). Pure.
import { createHash } from 'node:crypto';

export type ThroughputClass = 'long_code' | 'toll_free' | 'short_code';
export type SenderRates = Record<ThroughputClass, number>;

export const DEFAULT_SENDER_RATES: SenderRates = { long_code: 1, toll_free: 3, short_code: 100 };
export const SENDER_RATES_PATTERN =
  /^(long_code|toll_free|short_code):\d+(\.\d+)?(,(long_code|toll_free|short_code):\d+(\.\d+)?)*$/;

/** `long_code:1,toll_free:3,short_code:100` (classes left out keep their default). */
export function parseSenderRates(value: string): SenderRates {
  const rates = { ...DEFAULT_SENDER_RATES };
  for (const pair of value.split(',')) {
    const [name, rate] = pair.split(':') as [ThroughputClass, string];
    rates[name] = Number(rate);
  }
  return rates;
}

/** Milliseconds a message of `segments` occupies its sender (an unknown class paces as a long code). */
export function occupancyMs(rates: SenderRates, senderClass: string | null, segments: number): number {
  const rate = rates[senderClass as ThroughputClass] ?? rates.long_code;
  return Math.ceil((Math.max(1, segments) * 1000) / rate);
}

/**
 * The id of the job that sends a message at its reserved slot: the same message and slot always give the
 * same id, so a job that reserved the slot and died before it completed cannot schedule the send twice.
 */
export function pacedJobId(messageId: string, slot: Date): string {
  const hash = createHash('sha256').update(`${messageId}@${slot.getTime()}`).digest('hex');
  // A version 4 layout (variant bits set) of the hash: any UUID will do for pg-boss.
  return `${hash.slice(0, 8)}-${hash.slice(8, 12)}-4${hash.slice(13, 16)}-a${hash.slice(17, 20)}-${hash.slice(20, 32)}`;
}
