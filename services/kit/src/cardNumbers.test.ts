import { describe, expect, it } from '@jest/globals';
import { cardNumberViolations, containsCardNumber, maskCardNumbers, passesLuhn } from './cardNumbers';

/** `prefix` completed with the digit that makes its digits pass Luhn. */
function luhnComplete(prefix: string): string {
  const digits = prefix.replace(/\D/g, '');
  for (let digit = 0; digit <= 9; digit += 1) if (passesLuhn(`${digits}${digit}`)) return `${prefix}${digit}`;
  throw new Error('unreachable');
}

/** `prefix` completed with a digit that makes it fail Luhn. */
function luhnBroken(prefix: string): string {
  const valid = luhnComplete(prefix);
  return `${prefix}${(Number(valid.at(-1)) + 1) % 10}`;
}

describe('passesLuhn', () => {
  it('accepts the processors’ published test cards and refuses a changed digit', () => {
    for (const card of ['4242424242424242', '5555555555554444', '378282246310005', '4222222222222'])
      expect(passesLuhn(card)).toBe(true);
    expect(passesLuhn('4242424242424241')).toBe(false);
    expect(passesLuhn('')).toBe(false);
    expect(passesLuhn('42a2')).toBe(false);
  });
});

describe('containsCardNumber', () => {
  describe('refuses', () => {
    it.each([
      ['13 digits (the shortest PAN)', luhnComplete('422222222222')],
      ['15 digits (American Express)', '378282246310005'],
      ['16 digits', '4242424242424242'],
      ['19 digits (the longest PAN)', luhnComplete('400000000000000000')],
      ['groups separated by spaces', '4242 4242 4242 4242'],
      ['groups separated by dashes', '4242-4242-4242-4242'],
      ['American Express grouping', '3782 822463 10005'],
      ['a double space between groups', '4242  4242 4242 4242'],
      ['inside a sentence', 'please charge 4242424242424242 today'],
      ['glued to letters and punctuation', 'card:4242424242424242;exp=12/30'],
      ['followed by an expiry in the same run', '4242 4242 4242 4242 1230'],
      ['16 digits behind a + (no phone number is that long)', '+4242424242424242'],
    ])('%s', (_what, text) => {
      expect(containsCardNumber(text)).toBe(true);
    });
  });

  describe('lets through', () => {
    const e164LuhnValid = luhnComplete('+491512345678'); // 12 digits after the +, 13 with the check digit
    const e164Longest = luhnComplete('+8801712345678'); // 14 + 1 = 15 digits, the most E.164 allows
    it.each([
      ['12 digits that pass Luhn', luhnComplete('42424242424')],
      ['20 digits that pass Luhn (an id, not a card)', luhnComplete('4242424242424242424')],
      ['16 digits failing Luhn', luhnBroken('424242424242424')],
      ['an E.164 number of 13 digits that passes Luhn', e164LuhnValid],
      ['an E.164 number of 15 digits that passes Luhn', e164Longest],
      ['an E.164 number written with spaces', '+1 415 555 0123'],
      ['a North American number', '+14155550123'],
      ['a date and time', '2026-12-01T16:49:55.123Z'],
      ['a UUID', '0f8e4d1c-2b3a-4c5d-9e6f-7a8b9c0d1e2f'],
      // A message id the benchmark met: 595 and 5318972650 joined by its dash pass Luhn.
      ['a UUID whose digit groups pass Luhn', '/v1/messages/01a2330f-7994-748f-b595-5318972650a7'],
      ['an all-digit UUID', '12345678-1234-5678-1234-567812345678'],
      ['an amount and a period', '1250 USD for 2026-11'],
    ])('%s', (_what, text) => {
      expect(containsCardNumber(text)).toBe(false);
    });

    it('but the same 13 to 15 digits without the + are refused: a card is likelier than a malformed phone', () => {
      expect(containsCardNumber(e164LuhnValid.slice(1))).toBe(true);
      expect(containsCardNumber(e164Longest.slice(1))).toBe(true);
    });
  });
});

describe('maskCardNumbers', () => {
  it('replaces each card number and keeps the rest of the text', () => {
    expect(maskCardNumbers('a 4242 4242 4242 4242 b 5555555555554444 c +14155550123')).toBe(
      'a [card number] b [card number] c +14155550123',
    );
  });
});

describe('cardNumberViolations', () => {
  it('names every field holding one, nested in objects and arrays, never the digits', () => {
    const violations = cardNumberViolations({
      to: '+14155550123',
      card: { number: '4242424242424242', note: 'fine' },
      lines: ['ok', { memo: 'my card 5555-5555-5555-4444' }],
      amount: 4242424242424242,
    });
    expect(violations.map((violation) => violation.field)).toEqual(['card.number', 'lines.1.memo', 'amount']);
    expect(JSON.stringify(violations)).not.toMatch(/\d{4}/);
  });

  it('checks keys, and names the whole value when it is one', () => {
    expect(cardNumberViolations({ '4242424242424242': true }).map((v) => v.field)).toEqual(['(key)']);
    expect(cardNumberViolations('4242424242424242', '(query)').map((v) => v.field)).toEqual(['(query)']);
  });

  it('finds nothing in a body without card numbers', () => {
    expect(cardNumberViolations({ token: 'tok_abc', brand: 'visa', last4: '4242', expiry: '12/30' })).toEqual(
      [],
    );
  });
});
