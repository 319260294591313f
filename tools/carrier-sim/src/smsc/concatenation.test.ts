import { describe, expect, it } from '@jest/globals';
import { PDU } from './smpp';
import { readSubmittedText, Reassembler, type PartInfo } from './concatenation';
import { Status } from './status';

/** A submit_sm as the SMSC receives it: encoded by the smpp package, then decoded from the octets. */
const received = (fields: Record<string, unknown>) =>
  new PDU(
    new PDU('submit_sm', {
      source_addr_ton: 1,
      source_addr_npi: 1,
      source_addr: '14155550100',
      dest_addr_ton: 1,
      dest_addr_npi: 1,
      destination_addr: '447700900123',
      ...fields,
    }).toBuffer(),
  );

const gsm = (text: string) => Buffer.from(text, 'ascii');
const ucs2 = (text: string) => Buffer.from(text, 'utf16le').swap16();

describe('readSubmittedText', () => {
  it('reads a single GSM 03.38 message, escape pairs included', () => {
    // ESC + 0x65 is €, ESC + 0x28 is {
    const octets = Buffer.concat([gsm('Price '), Buffer.from([0x1b, 0x65, 0x1b, 0x28])]);
    expect(readSubmittedText(received({ data_coding: 0, short_message: octets }))).toEqual({
      text: 'Price €{',
    });
  });

  it('reads UCS-2, surrogate pairs included, and message_payload when short_message is empty', () => {
    expect(readSubmittedText(received({ data_coding: 8, short_message: ucs2('Привет 😀') }))).toEqual({
      text: 'Привет 😀',
    });
    expect(readSubmittedText(received({ data_coding: 8, message_payload: ucs2('long one') }))).toEqual({
      text: 'long one',
    });
  });

  it('reads binary content (data_coding 4) as hex', () => {
    expect(readSubmittedText(received({ data_coding: 4, short_message: Buffer.from([0xde, 0xad]) }))).toEqual(
      { text: 'dead' },
    );
  });

  it('finds the part in an 8-bit-reference UDH', () => {
    const udh = Buffer.from([0x05, 0x00, 0x03, 0x2a, 0x03, 0x02]);
    expect(
      readSubmittedText(
        received({ data_coding: 0, esm_class: 0x40, short_message: Buffer.concat([udh, gsm('middle')]) }),
      ),
    ).toEqual({ text: 'middle', part: { scheme: 'udh8', reference: 0x2a, total: 3, sequence: 2 } });
  });

  it('finds the part in a 16-bit-reference UDH, among other information elements', () => {
    // port addressing (0x05) first, then concatenation with a 16-bit reference (0x08)
    const udh = Buffer.from([0x0c, 0x05, 0x04, 0x0b, 0x84, 0x23, 0xf0, 0x08, 0x04, 0x12, 0x34, 0x02, 0x01]);
    expect(
      readSubmittedText(
        received({ data_coding: 8, esm_class: 0x40, short_message: Buffer.concat([udh, ucs2('Ж')]) }),
      ),
    ).toEqual({ text: 'Ж', part: { scheme: 'udh16', reference: 0x1234, total: 2, sequence: 1 } });
  });

  it('finds the part in the sar_* TLVs', () => {
    expect(
      readSubmittedText(
        received({
          data_coding: 0,
          short_message: gsm('end'),
          sar_msg_ref_num: 513,
          sar_total_segments: 2,
          sar_segment_seqnum: 2,
        }),
      ),
    ).toEqual({ text: 'end', part: { scheme: 'sar', reference: 513, total: 2, sequence: 2 } });
  });

  it('treats a "1 of 1" part as a whole message', () => {
    const udh = Buffer.from([0x05, 0x00, 0x03, 0x07, 0x01, 0x01]);
    expect(
      readSubmittedText(
        received({ data_coding: 0, esm_class: 0x40, short_message: Buffer.concat([udh, gsm('solo')]) }),
      ),
    ).toEqual({ text: 'solo' });
  });

  it.each([
    ['an unsupported data_coding', { data_coding: 9, short_message: gsm('x') }, Status.RINVDCS],
    [
      'short_message and message_payload both',
      { data_coding: 0, short_message: gsm('x'), message_payload: gsm('y') },
      Status.RINVMSGLEN,
    ],
    [
      'a part number beyond the total',
      {
        data_coding: 0,
        esm_class: 0x40,
        short_message: Buffer.concat([Buffer.from([0x05, 0x00, 0x03, 0x01, 0x02, 0x03]), gsm('x')]),
      },
      Status.RINVMSGLEN,
    ],
    [
      'a malformed concatenation element',
      {
        data_coding: 0,
        esm_class: 0x40,
        short_message: Buffer.concat([Buffer.from([0x04, 0x00, 0x02, 0x01, 0x02]), gsm('x')]),
      },
      Status.RINVMSGLEN,
    ],
    [
      'an incomplete set of sar TLVs',
      { data_coding: 0, short_message: gsm('x'), sar_msg_ref_num: 1, sar_total_segments: 2 },
      Status.RMISSINGTLV,
    ],
    [
      'a sar part 0',
      {
        data_coding: 0,
        short_message: gsm('x'),
        sar_msg_ref_num: 1,
        sar_total_segments: 2,
        sar_segment_seqnum: 0,
      },
      Status.RINVTLVVAL,
    ],
  ])('refuses %s', (_case, fields, status) => {
    expect(readSubmittedText(received(fields))).toMatchObject({ status });
  });
});

describe('Reassembler', () => {
  const part = (sequence: number, total = 3, reference = 7): PartInfo => ({
    scheme: 'udh8',
    reference,
    total,
    sequence,
  });

  it('answers the parts in order once the last one arrives, whatever order they came in', () => {
    const reassembler = new Reassembler<string>();
    expect(reassembler.add('a', part(3), 'c')).toEqual({ replaced: false });
    expect(reassembler.add('a', part(1), 'a')).toEqual({ replaced: false });
    expect(reassembler.incomplete).toBe(1);
    expect(reassembler.add('a', part(2), 'b')).toEqual({ complete: ['a', 'b', 'c'], replaced: false });
    expect(reassembler.incomplete).toBe(0);
  });

  it('keeps messages apart by key, reference and total; a part sent twice replaces its copy', () => {
    const reassembler = new Reassembler<string>();
    reassembler.add('a', part(1), 'a1');
    reassembler.add('b', part(1), 'b1');
    reassembler.add('a', part(1, 3, 8), 'other reference');
    reassembler.add('a', part(1, 2), 'other total');
    expect(reassembler.incomplete).toBe(4);
    expect(reassembler.add('a', part(1), 'a1 again')).toEqual({ replaced: true });
    reassembler.add('a', part(2), 'a2');
    expect(reassembler.add('a', part(3), 'a3').complete).toEqual(['a1 again', 'a2', 'a3']);
    // The same reference used again later starts a new message.
    expect(reassembler.add('a', part(1), 'next')).toEqual({ replaced: false });
  });
});
