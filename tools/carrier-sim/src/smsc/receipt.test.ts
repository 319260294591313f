import { describe, expect, it } from '@jest/globals';
import { formatReceipt, receiptDate, type ReceiptOutcome } from './receipt';

const submittedAt = new Date('2026-03-04T05:06:59Z');
const doneAt = new Date('2026-12-31T23:59:01Z');
const receiptOf = (outcome: ReceiptOutcome, text: string, messageId = 'x') =>
  formatReceipt({ messageId, outcome, submittedAt, doneAt, text });

describe('delivery receipt text', () => {
  it('dates are YYMMDDhhmm in UTC', () => {
    expect(receiptDate(submittedAt)).toBe('2603040506');
    expect(receiptDate(doneAt)).toBe('2612312359');
  });

  it('a delivered message: stat:DELIVRD err:000 dlvrd:001, message_state 2', () => {
    const receipt = receiptOf('delivered', 'Your code is 123456, valid for 10 minutes', '0123abcd');
    expect(receipt.text).toBe(
      'id:0123abcd sub:001 dlvrd:001 submit date:2603040506 done date:2612312359 stat:DELIVRD err:000 text:Your code is 123456,',
    );
    expect(receipt.messageState).toBe(2);
  });

  it.each<[ReceiptOutcome, string, string, number]>([
    ['undelivered', 'dlvrd:000', 'stat:UNDELIV err:001', 5],
    ['expired', 'dlvrd:000', 'stat:EXPIRED err:000', 3],
  ])('%s: %s %s, message_state %d', (outcome, delivered, status, state) => {
    const receipt = receiptOf(outcome, 'hi');
    expect(receipt.text).toContain(` ${delivered} `);
    expect(receipt.text).toContain(` ${status} text:hi`);
    expect(receipt.messageState).toBe(state);
  });

  it('keeps in text: only characters GSM 03.38 and ASCII read alike, counting characters not code units', () => {
    const receipt = receiptOf('delivered', 'Hi 😀 {x} 5€ @home_and more text');
    expect(receipt.text.split('text:')[1]).toBe('Hi . .x. 5. .home.an');
  });
});
