import type { FieldViolation } from './errors';

/**
 * Finding full card numbers (PANs) in what a client sends, so they can be refused before anything keeps
 * them. Parley never takes a card number: cards are tokenised by the payment processor in the customer's
 * browser, and Parley holds only the token with brand, last four digits and expiry.
 *
 * The rule:
 * - A candidate is a run of digit groups, the groups separated by up to three spaces or dashes (`4242 4242 4242
 *   4242`, `4242-4242-4242-4242`), found anywhere in a text (`my card is 4242...`): any consecutive groups
 *   of the run holding 13 to 19 digits in all that pass the Luhn check are a card number.
 * - Digits are never split inside a group: a run of 20 or more digits with no separator (an id, a
 *   reference) is not a card number, nor is a 12-digit run.
 * - Phone numbers: a run that starts with `+` and holds at most 15 digits is an E.164 number (E.164 allows
 *   no more than 15 digits), never a card, however its digits fall under Luhn; so `to`/`from` fields,
 *   which Parley takes in E.164 form only, are never refused. A card number is never written with a `+`.
 *   Without the `+`, 13 to 15 digits that pass Luhn are refused wherever they are: a card is more likely
 *   than a phone number written against the API's rules.
 * - Numbers count too: a JSON number of 13 to 19 digits is checked like a text.
 * - A UUID is an id, never a card: its digit groups are not candidates.
 */

/** Whether a string of digits passes the Luhn (mod 10) check. */
export function passesLuhn(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let index = digits.length - 1; index >= 0; index -= 1) {
    let digit = digits.charCodeAt(index) - 48;
    if (digit < 0 || digit > 9) return false;
    if (double) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
    double = !double;
  }
  return digits.length > 0 && sum % 10 === 0;
}

export const CARD_NUMBER_MIN_DIGITS = 13;
export const CARD_NUMBER_MAX_DIGITS = 19;
const E164_MAX_DIGITS = 15;

/** A run of digit groups, each separated from the next by up to three spaces or dashes, with an optional leading `+`. */
const digitRun = /(\+?)(\d+(?:[ \u00a0-]{1,3}\d+)*)/g;

/** A UUID (any version), which holds digit groups and dashes but is never a card number. */
const uuid = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

/** Where card numbers are in a text: the start and end offsets of each (for masking). */
function cardNumberSpans(text: string): [number, number][] {
  const spans: [number, number][] = [];
  // UUIDs (resource ids in paths and bodies) are blanked first, offsets kept: their digit groups joined
  // by dashes passed Luhn now and then (a message id in a path was refused).
  const scanned = text.replace(uuid, (found) => 'x'.repeat(found.length));
  for (const match of scanned.matchAll(digitRun)) {
    const [, plus, run] = match as unknown as [string, string, string];
    const runStart = match.index + plus.length;
    const groups: { start: number; digits: string }[] = [];
    const group = /\d+/g;
    for (let found = group.exec(run); found; found = group.exec(run))
      groups.push({ start: runStart + found.index, digits: found[0] });
    const totalDigits = groups.reduce((sum, { digits }) => sum + digits.length, 0);
    if (plus && totalDigits <= E164_MAX_DIGITS) continue;
    for (let first = 0; first < groups.length; first += 1) {
      let digits = '';
      for (let last = first; last < groups.length; last += 1) {
        digits += groups[last]!.digits;
        if (digits.length > CARD_NUMBER_MAX_DIGITS) break;
        if (digits.length >= CARD_NUMBER_MIN_DIGITS && passesLuhn(digits)) {
          const end = groups[last]!.start + groups[last]!.digits.length;
          spans.push([groups[first]!.start, end]);
        }
      }
    }
  }
  return spans;
}

/** Whether a text holds anything shaped like a full card number (see the rule above). */
export function containsCardNumber(text: string): boolean {
  return cardNumberSpans(text).length > 0;
}

/** The text with every card number in it replaced by `[card number]`. */
export function maskCardNumbers(text: string): string {
  const spans = cardNumberSpans(text).sort((a, b) => a[0] - b[0]);
  let masked = '';
  let at = 0;
  for (const [start, end] of spans) {
    if (end <= at) continue;
    masked += `${text.slice(at, Math.max(at, start))}[card number]`;
    at = end;
  }
  return masked + text.slice(at);
}

export const CARD_NUMBER_DESCRIPTION =
  'holds what looks like a full card number; Parley never takes card numbers: tokenise the card with the payment processor and send its token';

function isPlainObject(value: object): boolean {
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

/**
 * One violation per field holding a card number, anywhere in a parsed JSON body, a decoded query string or
 * form, or a protobuf message, named by its dotted path (`card.number`, `lines.2.note`; `root` when the
 * whole value is one). The violation names the field only, never the digits.
 */
export function cardNumberViolations(value: unknown, root = '(body)'): FieldViolation[] {
  const found: FieldViolation[] = [];
  const visit = (node: unknown, path: string[]) => {
    const field = () => path.join('.') || root;
    if (typeof node === 'string') {
      if (containsCardNumber(node)) found.push({ field: field(), description: CARD_NUMBER_DESCRIPTION });
    } else if (typeof node === 'number' || typeof node === 'bigint') {
      // A number beyond 2^53 has lost digits in JSON.parse; its digits as written are checked by its text.
      if (containsCardNumber(node.toLocaleString('en-US', { useGrouping: false, maximumFractionDigits: 0 })))
        found.push({ field: field(), description: CARD_NUMBER_DESCRIPTION });
    } else if (Array.isArray(node)) {
      node.forEach((item, index) => visit(item, [...path, String(index)]));
    } else if (node !== null && typeof node === 'object' && isPlainObject(node)) {
      for (const [key, item] of Object.entries(node)) {
        if (containsCardNumber(key))
          found.push({ field: [...path, '(key)'].join('.'), description: CARD_NUMBER_DESCRIPTION });
        else visit(item, [...path, key]);
      }
    }
  };
  visit(value, []);
  return found;
}
