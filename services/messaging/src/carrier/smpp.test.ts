import { describe, expect, it } from '@jest/globals';
import { smpp } from '@parley/kit';
import { parseReceipt, statusName } from './smpp';

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
    });
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
