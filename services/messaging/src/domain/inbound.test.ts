import { describe, expect, it } from '@jest/globals';
import type { InboundMessage } from './carrier';
import { forwardedText, groupKeyOf, joinParts } from './inbound';

const part = (sequence: number, text: string, reference = 42): InboundMessage => ({
  from: '+447700900001',
  to: '+14155550123',
  encoding: 'GSM-7',
  text,
  part: { reference, total: 3, sequence },
});

describe('groupKeyOf', () => {
  it('puts every part of a concatenated message, and a part sent again, under one key', () => {
    const key = groupKeyOf(part(1, 'one '));
    expect(groupKeyOf(part(2, 'two '))).toBe(key);
    expect(groupKeyOf(part(1, 'one '))).toBe(key);
  });

  it('keeps apart messages with another reference, sender or destination', () => {
    const key = groupKeyOf(part(1, 'x'));
    expect(groupKeyOf(part(1, 'x', 43))).not.toBe(key);
    expect(groupKeyOf({ ...part(1, 'x'), from: '+447700900002' })).not.toBe(key);
    expect(groupKeyOf({ ...part(1, 'x'), to: '+14155550124' })).not.toBe(key);
  });

  it('keys a whole message by its text: the same deliver_sm again is the same message, another text is not', () => {
    const whole = { from: '+447700900001', to: '+14155550123', encoding: 'GSM-7' as const, text: 'hi' };
    expect(groupKeyOf({ ...whole })).toBe(groupKeyOf(whole));
    expect(groupKeyOf({ ...whole, text: 'hi!' })).not.toBe(groupKeyOf(whole));
  });
});

describe('joinParts', () => {
  it('joins parts in part order whatever order they came in, a surrogate pair split across parts included', () => {
    expect(
      joinParts([
        { seq: 3, text: 'three' },
        { seq: 1, text: 'one \ud83d' },
        { seq: 2, text: '\udc4b two ' },
      ]),
    ).toBe('one 👋 two three');
  });
});

describe('forwardedText', () => {
  it('names the sender and keeps within 1,600 characters without splitting an emoji', () => {
    expect(forwardedText('+447700900001', 'hello')).toBe('From +447700900001: hello');
    const long = forwardedText('+447700900001', '👋'.repeat(1600));
    expect(Array.from(long)).toHaveLength(1600);
    expect(long.endsWith('👋')).toBe(true);
  });
});
