// Inbound messages: what identifies one at the SMSC, and how its parts join. Pure.
import { createHash } from 'node:crypto';
import type { InboundMessage } from './carrier';

/**
 * How long a message that was made whole still answers for its parts: a part sent again within this time
 * (the SMSC resends a deliver_sm it got no answer to) is recognised and changes nothing. After it, the
 * same text from the same sender (a message of one part carries no reference) is a new message.
 */
export const DUPLICATE_WINDOW_MS = 10 * 60 * 1000;

/**
 * The key of the message a part belongs to: the sender, the destination and the concatenation reference
 * with its part count; a message of one part has no reference at the SMSC, so its text stands in (a
 * deliver_sm sent again is the same text).
 */
export function groupKeyOf(message: InboundMessage): string {
  const fields = message.part
    ? [message.from, message.to, 'part', String(message.part.reference), String(message.part.total)]
    : [message.from, message.to, 'whole', message.encoding, message.text];
  return createHash('sha256').update(fields.join('\n')).digest('base64url');
}

/** The text of a whole message from its parts, in part order (each part decoded alone). */
export function joinParts(parts: { seq: number; text: string | null }[]): string {
  return [...parts]
    .sort((a, b) => a.seq - b.seq)
    .map((part) => part.text ?? '')
    .join('');
}

/** The text of a forwarded message: who wrote it, then what they wrote, within one message's 1,600 characters. */
export function forwardedText(from: string, text: string): string {
  const whole = `From ${from}: ${text}`;
  const characters = Array.from(whole);
  return characters.length <= 1600 ? whole : characters.slice(0, 1600).join('');
}
