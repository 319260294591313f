// How an SMS body is encoded and cut into parts, counted the way carriers bill it. Pure: no I/O.
//
// Written here rather than taken from npm, because no package tried (December 2026) counts every boundary
// right at the speed a send needs (well under 20 µs per message):
// - sms-segments-calculator 1.3.0 (Twilio DevEd): right at the GSM-7 and surrogate boundaries, but keeps
//   whole grapheme clusters together (65 Cyrillic + 👍🏽 + 65 Cyrillic: 3 parts where 2 suffice), says 1
//   segment for an empty body, and costs 50 µs (20 characters) to 12 ms (1,600) per message;
// - split-sms 0.1.7: right at every boundary tried, but a single release years old, and 24 µs (160
//   characters) to 240 µs (1,600) per message;
// - sms-length 0.2.2: fast, but sends form feed as UCS-2 and undercounts the split cases (152 plain + € +
//   152 plain: 2 parts, carriers need 3; 66 UCS-2 + emoji + 66: 2, need 3; 800 emoji: 24, need 25);
// - gsm7 1.3.1: only a packed-septet codec (no counting), its extension table lacks form feed.
//
// Only surrogate pairs and escape pairs are kept whole: a cluster such as 👍🏽 (two code points) may end
// one part and begin the next, as on the carriers' side, since handsets join the parts before showing them.
//
// No encoder here: the `smpp` package (0.5.1) turns a string `short_message` with data_coding 0 into
// unpacked GSM 03.38 septets itself (extension characters as ESC + septet; a character outside its table
// becomes a space) and with data_coding 8 into UTF-16BE, so the SMPP adapter hands it the parts from
// `splitSmsBody` as they are. Every character this file calls GSM-7 goes through that coder unchanged and
// in as many septets as counted here; ESC alone, which that coder would pass through, counts as UCS-2.
//
// Form feed and ESC are control characters the kit's request check refuses before a body gets here; they
// are counted right anyway, for callers that do not pass through it.

import type { FieldViolation } from '@parley/kit';

export type SmsEncoding = 'GSM-7' | 'UCS-2';

/** Septets in a GSM-7 message that goes as one SMS, and in each part of one sent in parts. */
export const GSM7_SINGLE_SEPTETS = 160;
export const GSM7_PART_SEPTETS = 153;
/** UTF-16 code units in a UCS-2 message that goes as one SMS, and in each part of one sent in parts. */
export const UCS2_SINGLE_UNITS = 70;
export const UCS2_PART_UNITS = 67;

/**
 * The longest body a send accepts, in characters as JavaScript (and Twilio, whose error 21617 says emoji
 * and other characters outside the Basic Multilingual Plane count as more than one) counts them: UTF-16
 * code units, so an emoji counts 2. That is at most 22 GSM-7 parts (1,600 euro signs) or 25 UCS-2 parts
 * (800 emoji).
 */
export const SMS_BODY_MAX_CHARACTERS = 1_600;

export interface SmsBodyAnalysis {
  /** GSM-7 when every character is in the GSM 03.38 default alphabet or its extension table; else UCS-2. */
  encoding: SmsEncoding;
  /** UTF-16 code units: what `SMS_BODY_MAX_CHARACTERS` limits. */
  characters: number;
  /** Septets for GSM-7 (an extension-table character costs 2), UTF-16 code units for UCS-2. */
  units: number;
  /** The SMS parts a carrier bills: 0 for an empty body (nothing to send as text). */
  segments: number;
}

// The GSM 03.38 default alphabet in septet order (0x1B, the escape to the extension table, is not a
// character of its own), and the characters reached through the escape. Look-alikes are not in it: ç
// (only Ç is), curly quotes, the backtick, Ω as the ohm sign. No transliteration (what Twilio calls smart
// encoding): the recipient gets exactly the characters sent, and one that is not here makes the body UCS-2.
const GSM7_DEFAULT_ALPHABET =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u001bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM7_EXTENSION = '\f^{}\\[~]|€';

const EURO = 0x20ac;
/** Septets per UTF-16 code unit below U+0400 (every GSM character but €): 0 = not GSM-7. */
const septetCost = new Uint8Array(0x400);
for (const character of GSM7_DEFAULT_ALPHABET)
  if (character !== '\u001b') septetCost[character.charCodeAt(0)] = 1;
for (const character of GSM7_EXTENSION)
  if (character.charCodeAt(0) < 0x400) septetCost[character.charCodeAt(0)] = 2;

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;
const isLowSurrogate = (code: number) => code >= 0xdc00 && code <= 0xdfff;

/**
 * Counts the body in one pass while filling parts greedily (which needs the fewest parts for text taken
 * in order), never cutting an escape pair (GSM-7) or a surrogate pair (UCS-2); pushes onto `starts` the
 * index at which each part after the first begins when the body needs more than one segment. The GSM-7
 * pass stops at the first character GSM-7 cannot carry, and the body is counted again as UCS-2.
 */
function measure(body: string, starts?: number[]): SmsBodyAnalysis {
  const length = body.length;
  let parts = 1;
  let used = 0;
  let septets = 0;
  let index = 0;
  for (; index < length; index++) {
    const code = body.charCodeAt(index);
    const cost = code < 0x400 ? septetCost[code]! : code === EURO ? 2 : 0;
    if (cost === 0) break;
    septets += cost;
    if (used + cost > GSM7_PART_SEPTETS) {
      parts++;
      used = 0;
      starts?.push(index);
    }
    used += cost;
  }
  if (index === length) {
    const segments = septets === 0 ? 0 : septets <= GSM7_SINGLE_SEPTETS ? 1 : parts;
    return { encoding: 'GSM-7', characters: length, units: septets, segments };
  }

  if (starts) starts.length = 0;
  parts = 1;
  used = 0;
  for (index = 0; index < length;) {
    const width =
      isHighSurrogate(body.charCodeAt(index)) && isLowSurrogate(body.charCodeAt(index + 1)) ? 2 : 1;
    if (used + width > UCS2_PART_UNITS) {
      parts++;
      used = 0;
      starts?.push(index);
    }
    used += width;
    index += width;
  }
  return {
    encoding: 'UCS-2',
    characters: length,
    units: length,
    segments: length <= UCS2_SINGLE_UNITS ? 1 : parts,
  };
}

/** The encoding, size and segment count of a body, as the carrier will count it. */
export function analyseSmsBody(body: string): SmsBodyAnalysis {
  return measure(body);
}

/**
 * The body cut into the texts of its parts, one per `submit_sm` (sent with a concatenation header when
 * there are several), in the encoding `analyseSmsBody` gives; joined they are the body again. An empty
 * body has no parts.
 */
export function splitSmsBody(body: string): string[] {
  const starts: number[] = [];
  const { segments } = measure(body, starts);
  if (segments <= 1) return segments === 0 ? [] : [body];
  const parts: string[] = [];
  let start = 0;
  for (const end of starts) {
    parts.push(body.slice(start, end));
    start = end;
  }
  parts.push(body.slice(start));
  return parts;
}

/** Why a send's `body` is too long to accept, or undefined when it fits. Says the size, never the text. */
export function smsBodyLengthViolation(body: string): FieldViolation | undefined {
  if (body.length <= SMS_BODY_MAX_CHARACTERS) return undefined;
  return {
    field: 'body',
    description: `must be at most ${SMS_BODY_MAX_CHARACTERS.toLocaleString('en')} characters (an emoji counts 2); this one has ${body.length.toLocaleString('en')}`,
  };
}
