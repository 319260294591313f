import { describe, expect, it } from '@jest/globals';
import { segmentText } from './segments';

const lengths = (text: string) => segmentText(text).parts.map((part) => part.length);

describe('segmentText (inbound messages)', () => {
  it('GSM 03.38: 160 septets in one part, 161 in parts of 153', () => {
    expect(segmentText('a'.repeat(160))).toMatchObject({ dataCoding: 0 });
    expect(lengths('a'.repeat(160))).toEqual([160]);
    expect(lengths('a'.repeat(161))).toEqual([153, 8]);
  });

  it('an extension character costs two septets and its escape pair is never split', () => {
    expect(lengths('€'.repeat(80))).toEqual([160]);
    expect(lengths('€'.repeat(81))).toEqual([152, 10]);
    // 152 plain septets, then an escape pair that would straddle the part boundary (161 septets in all)
    const parts = segmentText(`${'a'.repeat(152)}€${'b'.repeat(7)}`).parts;
    expect(parts.map((part) => part.length)).toEqual([152, 9]);
    expect([...parts[1]!.subarray(0, 3)]).toEqual([0x1b, 0x65, 0x62]);
  });

  it('UCS-2 when a character has no septet: 70 code units in one part, else parts of 67', () => {
    expect(segmentText('ж'.repeat(70))).toMatchObject({ dataCoding: 8 });
    expect(lengths('ж'.repeat(70))).toEqual([140]);
    expect(lengths('ж'.repeat(71))).toEqual([134, 8]);
  });

  it('a surrogate pair is never split', () => {
    // 66 units, then a pair that would straddle the part boundary (71 code units in all)
    const text = `${'ж'.repeat(66)}😀${'ж'.repeat(3)}`;
    const parts = segmentText(text).parts;
    expect(parts.map((part) => part.length)).toEqual([132, 10]);
    expect(Buffer.concat(parts).swap16().toString('utf16le')).toBe(text);
  });
});
