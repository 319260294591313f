import { describe, expect, it } from '@jest/globals';
import { smpp } from '@parley/kit';
import { parseInbound, parseReceipt, Slots, statusName } from './smpp';

/** A deliver_sm as it comes off the wire: encoded and decoded by the smpp package's own codec. */
const deliverSm = (fields: Record<string, unknown>) =>
  new smpp.PDU(
    new smpp.PDU('deliver_sm', {
      source_addr: '447911123456',
      destination_addr: '14155550123',
      data_coding: 0,
      ...fields,
    }).toBuffer(),
  );

describe('parseReceipt', () => {
  it('reads the part id and outcome from the TLVs', () => {
    const pdu = deliverSm({
      esm_class: 0x04,
      receipted_message_id: '00000000000000a1',
      message_state: 2,
      short_message:
        'id:00000000000000a1 sub:001 dlvrd:001 submit date:2612011200 done date:2612011200 stat:DELIVRD err:000 text:hi',
    });
    expect(parseReceipt(pdu)).toEqual({
      carrierMessageId: '00000000000000a1',
      state: 'delivered',
      errorCode: null,
      // From the recipient to the sender: the message it is for went the other way.
      echo: { from: '+14155550123', to: '+447911123456', text: 'hi' },
    });
  });

  it('keeps the quoted text whole, spaces included, and has no echo without one', () => {
    const quoting = deliverSm({
      esm_class: 0x04,
      receipted_message_id: 'd4',
      message_state: 2,
      short_message:
        'id:d4 sub:001 dlvrd:001 submit date:2612011200 done date:2612011200 stat:DELIVRD err:000 Text:see you at 5 . ok',
    });
    expect(parseReceipt(quoting)).toMatchObject({ echo: { text: 'see you at 5 . ok' } });
    const silent = deliverSm({ esm_class: 0x04, receipted_message_id: 'd5', message_state: 2 });
    expect(parseReceipt(silent)).toEqual({ carrierMessageId: 'd5', state: 'delivered', errorCode: null });
  });

  it('falls back to the receipt text, and names the error of an undelivered part', () => {
    const pdu = deliverSm({
      esm_class: 0x04,
      short_message:
        'id:b2 sub:001 dlvrd:000 submit date:2612011200 done date:2612011200 stat:UNDELIV err:001 text:hi',
    });
    expect(parseReceipt(pdu)).toEqual({
      carrierMessageId: 'b2',
      state: 'undelivered',
      errorCode: 'UNDELIV:001',
      echo: { from: '+14155550123', to: '+447911123456', text: 'hi' },
    });
  });

  it('says an intermediate receipt is not final, and a mobile-originated message is no receipt', () => {
    expect(parseReceipt(deliverSm({ esm_class: 0x04, receipted_message_id: 'c3', message_state: 1 }))).toBe(
      'not-final',
    );
    expect(parseReceipt(deliverSm({ esm_class: 0, short_message: 'STOP' }))).toBeUndefined();
  });
});

describe('statusName', () => {
  it('names the SMPP statuses it knows and gives the others in hex', () => {
    expect(statusName(0x58)).toBe('ESME_RTHROTTLED');
    expect(statusName(0x45)).toBe('ESME_RSUBMITFAIL');
    expect(statusName(0x400)).toBe('0x00000400');
  });
});

describe('parseInbound', () => {
  const gsm = (text: string) => Buffer.from(text, 'ascii');
  const ucs2 = (text: string) => Buffer.from(text, 'utf16le').swap16();

  it('reads a whole GSM-7 message with E.164 addresses', () => {
    expect(parseInbound(deliverSm({ esm_class: 0, short_message: 'Hello there' }))).toEqual({
      from: '+447911123456',
      to: '+14155550123',
      encoding: 'GSM-7',
      text: 'Hello there',
    });
  });

  it('decodes GSM 03.38 (escapes included) and UCS-2 with surrogate pairs', () => {
    expect(parseInbound(deliverSm({ short_message: 'price: 5€ {ok}' }))?.text).toBe('price: 5€ {ok}');
    expect(parseInbound(deliverSm({ data_coding: 8, short_message: ucs2('Привет 👋') }))).toMatchObject({
      encoding: 'UCS-2',
      text: 'Привет 👋',
    });
  });

  it('reads the part of a concatenated message from UDH element 0x00 (8-bit reference)', () => {
    const udh = Buffer.from([0x05, 0x00, 0x03, 0x2a, 0x03, 0x02]);
    expect(
      parseInbound(deliverSm({ esm_class: 0x40, short_message: Buffer.concat([udh, gsm('middle')]) })),
    ).toMatchObject({ text: 'middle', part: { reference: 0x2a, total: 3, sequence: 2 } });
  });

  it('reads UDH element 0x08 (16-bit reference) among other elements, in UCS-2', () => {
    const udh = Buffer.from([0x0c, 0x05, 0x04, 0x0b, 0x84, 0x23, 0xf0, 0x08, 0x04, 0x12, 0x34, 0x02, 0x01]);
    expect(
      parseInbound(
        deliverSm({ esm_class: 0x40, data_coding: 8, short_message: Buffer.concat([udh, ucs2('Ж')]) }),
      ),
    ).toMatchObject({ encoding: 'UCS-2', text: 'Ж', part: { reference: 0x1234, total: 2, sequence: 1 } });
  });

  it('reads the sar_* TLVs, and takes a part of one as a whole message', () => {
    expect(
      parseInbound(
        deliverSm({ short_message: 'sar', sar_msg_ref_num: 7, sar_total_segments: 2, sar_segment_seqnum: 2 }),
      ),
    ).toMatchObject({ part: { reference: 7, total: 2, sequence: 2 } });
    const solo = Buffer.from([0x05, 0x00, 0x03, 0x07, 0x01, 0x01]);
    expect(
      parseInbound(deliverSm({ esm_class: 0x40, short_message: Buffer.concat([solo, gsm('solo')]) })),
    ).not.toHaveProperty('part');
  });

  it('refuses what it cannot read: binary data_coding, a malformed header, more than 100 parts, a part number outside 1..total', () => {
    expect(
      parseInbound(deliverSm({ data_coding: 4, short_message: Buffer.from([1, 2, 3]) })),
    ).toBeUndefined();
    const malformed = Buffer.from([0x04, 0x00, 0x02, 0x2a, 0x03]);
    expect(
      parseInbound(deliverSm({ esm_class: 0x40, short_message: Buffer.concat([malformed, gsm('x')]) })),
    ).toBeUndefined();
    const tooMany = Buffer.from([0x05, 0x00, 0x03, 0x2a, 101, 0x01]);
    expect(
      parseInbound(deliverSm({ esm_class: 0x40, short_message: Buffer.concat([tooMany, gsm('x')]) })),
    ).toBeUndefined();
    const outside = Buffer.from([0x05, 0x00, 0x03, 0x2a, 0x03, 0x04]);
    expect(
      parseInbound(deliverSm({ esm_class: 0x40, short_message: Buffer.concat([outside, gsm('x')]) })),
    ).toBeUndefined();
  });
});

describe('Slots (the submit window, and deliver_sm recorded at once)', () => {
  it('lets `limit` holders in and the next ones in order as slots are released', async () => {
    const slots = new Slots(2);
    const entered: string[] = [];
    const enter = (name: string) => slots.take().then(() => entered.push(name));
    await Promise.all([enter('a'), enter('b')]);
    const waiting = [enter('c'), enter('d')];
    await new Promise((resolve) => setImmediate(resolve));
    expect(entered).toEqual(['a', 'b']);
    slots.release();
    await waiting[0];
    expect(entered).toEqual(['a', 'b', 'c']);
    slots.release();
    await waiting[1];
    expect(entered).toEqual(['a', 'b', 'c', 'd']);
  });
});
