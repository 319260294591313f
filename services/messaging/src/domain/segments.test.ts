import { describe, expect, it } from '@jest/globals';
import {
  analyseSmsBody,
  smsBodyLengthViolation,
  splitSmsBody,
  SMS_BODY_MAX_CHARACTERS,
  type SmsBodyAnalysis,
} from './segments';

const plain = (count: number) => 'a'.repeat(count);
/** A character outside GSM-7 but inside the Basic Multilingual Plane: one UTF-16 code unit. */
const cyrillic = (count: number) => 'ж'.repeat(count);
/** Outside the Basic Multilingual Plane: a surrogate pair, two code units. */
const EMOJI = '😀';

/** What a concatenated part may hold: septets (an extension character is 2) or UTF-16 code units. */
function unitsOf(part: string, encoding: SmsBodyAnalysis['encoding']): number {
  return encoding === 'GSM-7' ? analyseSmsBody(part).units : part.length;
}

/** Splits, and checks what every split must do, whatever the body. */
function split(body: string): string[] {
  const parts = splitSmsBody(body);
  const analysis = analyseSmsBody(body);
  expect(parts.join('')).toBe(body);
  expect(parts).toHaveLength(analysis.segments);
  if (parts.length > 1) {
    const capacity = analysis.encoding === 'GSM-7' ? 153 : 67;
    for (const part of parts) {
      expect(part.length).toBeGreaterThan(0);
      expect(unitsOf(part, analysis.encoding)).toBeLessThanOrEqual(capacity);
      // No part begins with the second half of a surrogate pair (or ends with the first).
      expect(part.charCodeAt(0) >= 0xdc00 && part.charCodeAt(0) <= 0xdfff).toBe(false);
    }
  }
  return parts;
}

describe('analyseSmsBody', () => {
  describe.each([
    { encoding: 'GSM-7', unit: 'septets', text: plain, single: 160, part: 153 },
    { encoding: 'UCS-2', unit: 'code units', text: cyrillic, single: 70, part: 67 },
  ] as const)('$encoding, one unit per character', ({ encoding, unit, text, single, part }) => {
    it(`fits ${single} ${unit} in one segment and needs two for ${single + 1}`, () => {
      const analysis = (characters: number, segments: number) => ({
        encoding,
        characters,
        units: characters,
        segments,
      });
      expect(analyseSmsBody(text(single))).toEqual(analysis(single, 1));
      expect(analyseSmsBody(text(single + 1))).toEqual(analysis(single + 1, 2));
      expect(split(text(single + 1)).map((cut) => cut.length)).toEqual([part, single + 1 - part]);
    });

    it(`puts ${part} ${unit} in each part once split`, () => {
      expect(analyseSmsBody(text(2 * part)).segments).toBe(2);
      expect(analyseSmsBody(text(2 * part + 1)).segments).toBe(3);
      expect(split(text(2 * part + 1)).map((cut) => cut.length)).toEqual([part, part, 1]);
    });
  });

  describe('GSM-7', () => {
    it('counts each extension-table character as two septets', () => {
      for (const character of ['^', '{', '}', '\\', '[', '~', ']', '|', '€', '\f']) {
        expect(analyseSmsBody(`a${character}`)).toEqual({
          encoding: 'GSM-7',
          characters: 2,
          units: 3,
          segments: 1,
        });
      }
      expect(analyseSmsBody('€'.repeat(80))).toEqual({
        encoding: 'GSM-7',
        characters: 80,
        units: 160,
        segments: 1,
      });
      expect(analyseSmsBody('€'.repeat(81))).toMatchObject({ units: 162, segments: 2 });
      // 76 pairs fill 152 septets; the 77th pair would straddle, so it opens the second part.
      expect(split('€'.repeat(81)).map((part) => part.length)).toEqual([76, 5]);
    });

    it('never splits an escape pair across parts', () => {
      // One segment still: 152 + 2 + 6 = 160 septets.
      expect(analyseSmsBody(plain(152) + '€' + plain(6))).toMatchObject({ units: 160, segments: 1 });
      // 161 septets: the pair would take septets 153 and 154, so part one ends after 152.
      expect(split(plain(152) + '€' + plain(7))).toEqual([plain(152), '€' + plain(7)]);
      // 306 septets would fill two parts exactly, but the pair pushed to part two leaves one septet over.
      const body = plain(152) + '€' + plain(152);
      expect(analyseSmsBody(body)).toMatchObject({ units: 306, segments: 3 });
      expect(split(body)).toEqual([plain(152), '€' + plain(151), plain(1)]);
      // Without the straddle the same septets fit two parts.
      expect(analyseSmsBody(plain(151) + '€' + plain(153)).segments).toBe(2);
    });

    it('sends form feed as GSM-7 at two septets', () => {
      expect(analyseSmsBody('\f'.repeat(80))).toMatchObject({ encoding: 'GSM-7', units: 160, segments: 1 });
      expect(analyseSmsBody('\f'.repeat(81))).toMatchObject({ encoding: 'GSM-7', units: 162, segments: 2 });
    });

    it('treats line feed and carriage return as ordinary GSM-7 characters', () => {
      expect(analyseSmsBody('\n'.repeat(160))).toEqual({
        encoding: 'GSM-7',
        characters: 160,
        units: 160,
        segments: 1,
      });
      expect(analyseSmsBody('\r\n'.repeat(80))).toMatchObject({ encoding: 'GSM-7', units: 160, segments: 1 });
      expect(split('\r\n'.repeat(81)).map((part) => part.length)).toEqual([153, 9]);
    });

    it('knows the whole default alphabet, Greek capitals and accented letters included', () => {
      const alphabet =
        '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
        '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
      expect(analyseSmsBody(alphabet)).toMatchObject({ encoding: 'GSM-7', units: alphabet.length });
    });
  });

  describe('UCS-2', () => {
    it('is chosen by a single character outside GSM-7, look-alikes included', () => {
      for (const body of [
        'ça va', // GSM 03.38 has Ç, not ç
        'it’s', // curly quote
        '“quoted”',
        '`code`',
        'Ω as the ohm sign \u2126',
        'escape \u001b alone',
        'München' + EMOJI,
        'Привет',
      ]) {
        expect(analyseSmsBody(body).encoding).toBe('UCS-2');
      }
      expect(analyseSmsBody('Ça va').encoding).toBe('GSM-7');
    });

    it('counts a character outside the Basic Multilingual Plane as two code units', () => {
      expect(analyseSmsBody(EMOJI.repeat(35))).toEqual({
        encoding: 'UCS-2',
        characters: 70,
        units: 70,
        segments: 1,
      });
      expect(analyseSmsBody(EMOJI.repeat(36))).toMatchObject({ units: 72, segments: 2 });
      // 33 emoji fill 66 units; the 34th would be cut, so each part holds 33.
      expect(analyseSmsBody(EMOJI.repeat(800))).toMatchObject({ units: 1_600, segments: 25 });
    });

    it('never splits a surrogate pair across parts', () => {
      // One segment still: 66 + 2 = 68 units.
      expect(analyseSmsBody(cyrillic(66) + EMOJI).segments).toBe(1);
      // The emoji would take units 67 and 68, so part one ends after 66.
      expect(split(cyrillic(66) + EMOJI + cyrillic(3))).toEqual([cyrillic(66), EMOJI + cyrillic(3)]);
      // 134 units would fill two parts exactly, but the pair pushed to part two leaves one unit over.
      const body = cyrillic(66) + EMOJI + cyrillic(66);
      expect(analyseSmsBody(body)).toMatchObject({ units: 134, segments: 3 });
      expect(split(body)).toEqual([cyrillic(66), EMOJI + cyrillic(65), cyrillic(1)]);
    });

    it('splits mixed text and emoji on character boundaries', () => {
      // 60 plain + emoji (62 units) + 4 plain (66): the next emoji would take units 67 and 68.
      const body = plain(60) + EMOJI + plain(4) + EMOJI + plain(70);
      expect(analyseSmsBody(body)).toMatchObject({ encoding: 'UCS-2', units: 138, segments: 3 });
      expect(split(body)).toEqual([plain(60) + EMOJI + plain(4), EMOJI + plain(65), plain(5)]);
    });

    it('may split a grapheme cluster between its code points, as carriers do', () => {
      // 👍🏽 is two code points (four units); only the surrogate pairs are kept whole.
      const body = cyrillic(65) + '👍🏽' + cyrillic(65);
      expect(split(body)).toEqual([cyrillic(65) + '👍', '🏽' + cyrillic(65)]);
    });
  });

  describe('empty body', () => {
    it('has no segments and no parts', () => {
      expect(analyseSmsBody('')).toEqual({ encoding: 'GSM-7', characters: 0, units: 0, segments: 0 });
      expect(splitSmsBody('')).toEqual([]);
    });
  });

  describe('the longest bodies', () => {
    it('counts 1,600 characters of GSM-7 as 11 segments', () => {
      expect(analyseSmsBody(plain(1_600))).toMatchObject({ characters: 1_600, segments: 11 });
      expect(split(plain(1_600))).toHaveLength(11);
    });

    it('counts 1,600 characters of UCS-2 as 24 segments', () => {
      expect(analyseSmsBody(cyrillic(1_600))).toMatchObject({ characters: 1_600, segments: 24 });
      expect(split(cyrillic(1_600))).toHaveLength(24);
    });

    it('needs the most parts for 1,600 euro signs or 800 emoji', () => {
      // 76 pairs (152 septets) per part; 33 emoji (66 units) per part.
      expect(analyseSmsBody('€'.repeat(1_600))).toMatchObject({ units: 3_200, segments: 22 });
      expect(split(EMOJI.repeat(800))).toHaveLength(25);
    });
  });
});

describe('analyseSmsBody and splitSmsBody against a plain reference', () => {
  // The rules restated the slow, obvious way (whole code points, string searches, no tables), to compare
  // with on bodies mixing every kind of character at lengths around the part boundaries.
  const BASIC =
    '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
    '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
  const EXTENSION = '\f^{}\\[~]|€';
  function reference(body: string) {
    const characters = Array.from(body);
    const gsm7 = characters.every((c) => BASIC.includes(c) || EXTENSION.includes(c));
    const cost = (c: string) => (gsm7 ? (EXTENSION.includes(c) ? 2 : 1) : c.length);
    const units = characters.reduce((sum, c) => sum + cost(c), 0);
    if (units <= (gsm7 ? 160 : 70)) return { units, parts: units === 0 ? [] : [body] };
    const parts = [''];
    let used = 0;
    for (const c of characters) {
      if (used + cost(c) > (gsm7 ? 153 : 67)) {
        parts.push('');
        used = 0;
      }
      parts[parts.length - 1] += c;
      used += cost(c);
    }
    return { units, parts };
  }

  it('agrees on 2,000 random bodies', () => {
    const pieces = ['a', 'Z', ' ', '\n', '€', '[', '\f', 'é', 'Ç', 'ж', 'ç', '’', EMOJI, '👍🏽'];
    let seed = 11;
    const random = (below: number) => {
      seed = (seed * 48_271) % 2_147_483_647;
      return seed % below;
    };
    for (let round = 0; round < 2_000; round++) {
      // Two rounds in three draw from GSM-7 characters only; the third from everything.
      const alphabet = pieces.slice(0, round % 3 === 0 ? pieces.length : 9);
      let body = '';
      const length = random(400);
      for (let index = 0; index < length; index++) body += alphabet[random(alphabet.length)];
      const expected = reference(body);
      expect(analyseSmsBody(body)).toMatchObject({ units: expected.units, segments: expected.parts.length });
      expect(split(body)).toEqual(expected.parts);
    }
  });
});

describe('smsBodyLengthViolation', () => {
  it('accepts 1,600 characters', () => {
    expect(SMS_BODY_MAX_CHARACTERS).toBe(1_600);
    expect(smsBodyLengthViolation(plain(1_600))).toBeUndefined();
    expect(smsBodyLengthViolation(cyrillic(1_600))).toBeUndefined();
  });

  it('refuses 1,601 characters on the body field, saying the size but not the text', () => {
    const violation = smsBodyLengthViolation(plain(1_601));
    expect(violation).toEqual({ field: 'body', description: expect.stringContaining('1,600') });
    expect(violation?.description).toContain('1,601');
    expect(violation?.description).not.toContain('aaa');
  });

  it('counts an emoji as two characters', () => {
    expect(smsBodyLengthViolation(EMOJI.repeat(800))).toBeUndefined();
    expect(smsBodyLengthViolation(EMOJI.repeat(800) + 'a')).toMatchObject({ field: 'body' });
  });
});
