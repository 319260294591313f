// A send in doubt: its submit may have reached the carrier, but Parley died (or lost its database) before
// it recorded the carrier's answer, so it does not know the part ids the receipts will name. The carrier's
// receipts still say which message they are for: a standard receipt comes from the message's recipient to
// its sender and quotes the first 20 characters of its text (SMPP 3.4 Appendix B). A receipt for a part id
// Parley does not know is kept with a keyed hash of those three (never the numbers or the text themselves),
// and a send in doubt that finds one for each of its parts takes them as its own instead of sending again.
import { valueHashes, type SubjectHashKeys } from '@parley/kit';

/** The part of a message's text a receipt quotes: 20 characters. */
const QUOTED_CHARACTERS = 20;

/**
 * The quoted text as both sides can compare it: carriers replace characters their alphabet lacks (with
 * `.`, `?` or nothing) and trim, so only letters, digits and spaces are kept as they are, every other
 * character becomes `.`, and trailing spaces go.
 */
export function quotedText(text: string): string {
  return [...text]
    .slice(0, QUOTED_CHARACTERS)
    .map((character) => (/^[A-Za-z0-9 ]$/.test(character) ? character : '.'))
    .join('')
    .trimEnd();
}

/** What a receipt (or a part sent) is matched on: the message's sender, recipient and quoted text. */
export interface ReceiptEcho {
  from: string;
  to: string;
  text: string;
}

const echoValue = (echo: ReceiptEcho) => `${echo.from}\n${echo.to}\n${quotedText(echo.text)}`;

/** The hash a kept receipt is stored under (the current key). */
export function echoHash(keys: SubjectHashKeys, echo: ReceiptEcho): string {
  return valueHashes(keys, '', 'carrier-receipt', echoValue(echo))[0]!;
}

/** Every hash a kept receipt for this part may be stored under (current and earlier keys). */
export function echoHashes(keys: SubjectHashKeys, echo: ReceiptEcho): string[] {
  return valueHashes(keys, '', 'carrier-receipt', echoValue(echo));
}
