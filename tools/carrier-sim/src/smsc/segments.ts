import { encodings } from './smpp';

/** A text as the SMSC sends it to an ESME: its data_coding and the octets of each part (without UDH). */
export interface Segmented {
  dataCoding: 0 | 8;
  parts: Buffer[];
}

/**
 * Encodes a mobile-originated text the way a handset's network would deliver it: the GSM 03.38 default
 * alphabet (one septet per octet, extension characters as an escape pair) when every character has a
 * septet, otherwise UCS-2; one part up to 160 septets / 70 code units, else parts of 153 / 67 that never
 * split an escape pair or a surrogate pair.
 */
export function segmentText(text: string): Segmented {
  if (encodings.ASCII.match(text)) {
    const septets = encodings.ASCII.encode(text);
    return { dataCoding: 0, parts: split(septets, 160, 153, 1, (octets, end) => octets[end - 1] === 0x1b) };
  }
  const units = encodings.UCS2.encode(text);
  return {
    dataCoding: 8,
    parts: split(units, 140, 134, 2, (octets, end) => {
      const last = octets.readUInt16BE(end - 2);
      return last >= 0xd800 && last <= 0xdbff;
    }),
  };
}

/**
 * Splits at `perPart` octets (`single` when it fits whole), one `unit` (character width in octets) earlier
 * where `splitsPair` says the cut would fall inside a pair.
 */
function split(
  octets: Buffer,
  single: number,
  perPart: number,
  unit: number,
  splitsPair: (octets: Buffer, end: number) => boolean,
): Buffer[] {
  if (octets.length <= single) return [octets];
  const parts: Buffer[] = [];
  let start = 0;
  while (start < octets.length) {
    let end = Math.min(start + perPart, octets.length);
    if (end < octets.length && splitsPair(octets, end)) end -= unit;
    parts.push(octets.subarray(start, end));
    start = end;
  }
  return parts;
}
