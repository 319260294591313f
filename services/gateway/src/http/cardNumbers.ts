import type { Request } from 'express';
import {
  CARD_NUMBER_DESCRIPTION,
  cardNumberViolations,
  containsCardNumber,
  type FieldViolation,
} from '@parley/kit';

/** Set by the JSON body parser when the body's raw text holds a card number. */
const RAW_BODY_HOLDS_CARD = Symbol('rawBodyHoldsCardNumber');

/**
 * The JSON parser's `verify` hook: notes whether the raw body holds a card number, so one written as a JSON
 * number too long to survive `JSON.parse` whole (over 2^53) is caught too.
 */
export function noteCardNumberInRawBody(request: object, _response: unknown, raw: Buffer): void {
  (request as { [RAW_BODY_HOLDS_CARD]?: boolean })[RAW_BODY_HOLDS_CARD] = containsCardNumber(
    raw.toString('utf8'),
  );
}

function decodedPath(request: Request): string {
  try {
    return decodeURIComponent(request.path);
  } catch {
    return request.path;
  }
}

/**
 * Every place in a request that holds a card number: the path, each query parameter, each body field (JSON
 * or form). Each is named (`(path)`, `(query).card`, `card.number`), never quoted.
 */
export function cardNumbersIn(request: Request, parts: { body: boolean }): FieldViolation[] {
  const found = [
    ...cardNumberViolations(decodedPath(request), '(path)'),
    ...cardNumberViolations(request.query, '(query)').map((violation) =>
      violation.field === '(query)' ? violation : { ...violation, field: `(query).${violation.field}` },
    ),
  ];
  if (parts.body) {
    const inBody = cardNumberViolations(request.body ?? undefined, '(body)');
    found.push(...inBody);
    if (inBody.length === 0 && (request as { [RAW_BODY_HOLDS_CARD]?: boolean })[RAW_BODY_HOLDS_CARD])
      found.push({ field: '(body)', description: CARD_NUMBER_DESCRIPTION });
  }
  return found;
}
