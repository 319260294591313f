import { describe, expect, it } from '@jest/globals';
import type { FieldViolation } from '@parley/kit';
import { v7 as uuidv7 } from 'uuid';
import { checkSend, outcomeOfParts, timeOfUuidV7, type SendRequest } from './messages';

const request = (overrides: Partial<SendRequest> = {}): SendRequest => ({
  from: '+14155550123',
  to: '+4915123456789',
  body: 'hello',
  mediaUrls: [],
  statusCallback: '',
  validityPeriodSeconds: 0,
  ...overrides,
});

const check = (overrides: Partial<SendRequest>) => {
  const violations: FieldViolation[] = [];
  const send = checkSend(request(overrides), violations);
  return { send, fields: violations.map((violation) => violation.field) };
};

describe('checkSend', () => {
  it('accepts an SMS with the default validity of 4 hours, its segments and the destination country', () => {
    expect(check({}).send).toMatchObject({
      kind: 'sms',
      body: 'hello',
      validitySeconds: 14_400,
      destinationCountry: 'DE',
      analysis: { encoding: 'GSM-7', segments: 1 },
    });
  });

  it('makes it an MMS when media are given, with or without a body', () => {
    expect(check({ body: '', mediaUrls: ['https://example.com/a.png'] }).send).toMatchObject({
      kind: 'mms',
      body: null,
      mediaUrls: ['https://example.com/a.png'],
    });
  });

  it.each([
    [{ to: '447911123456' }, ['to']],
    [{ from: '+1' }, ['from']],
    [{ body: '' }, ['body']],
    [{ body: 'x'.repeat(1601) }, ['body']],
    [{ body: 'x'.repeat(1600) }, []],
    [{ mediaUrls: ['http://example.com/a.png', 'https://example.com/b.png'] }, ['mediaUrls[0]']],
    [{ mediaUrls: Array.from({ length: 11 }, () => 'https://example.com/a.png') }, ['mediaUrls']],
    [{ statusCallback: 'not a url' }, ['statusCallback']],
    [{ validityPeriodSeconds: 59 }, ['validityPeriod']],
    [{ validityPeriodSeconds: 14_401 }, ['validityPeriod']],
    [{ validityPeriodSeconds: 60 }, []],
  ] as [Partial<SendRequest>, string[]][])('%j: violations %j', (overrides, fields) => {
    expect(check(overrides).fields).toEqual(fields);
  });
});

describe('outcomeOfParts', () => {
  const part = (state: 'delivered' | 'undelivered' | 'expired' | null, errorCode: string | null = null) => ({
    state,
    errorCode,
  });

  it('is delivered only once every part is', () => {
    expect(outcomeOfParts([part('delivered'), part(null)]).status).toBe('sent');
    expect(outcomeOfParts([part('delivered'), part('delivered')]).status).toBe('delivered');
  });

  it('is undelivered or expired as soon as one part is, with its error', () => {
    expect(outcomeOfParts([part(null), part('undelivered', 'UNDELIV:001')])).toEqual({
      status: 'undelivered',
      errorCode: 'UNDELIV:001',
    });
    expect(outcomeOfParts([part('delivered'), part('expired', 'EXPIRED')]).status).toBe('expired');
  });
});

describe('timeOfUuidV7', () => {
  it('reads the creation time out of a UUIDv7 and refuses anything else', () => {
    const at = new Date('2026-12-01T12:00:00.123Z');
    expect(timeOfUuidV7(uuidv7({ msecs: at.getTime() }))).toEqual(at);
    expect(timeOfUuidV7('6f1c2a4e-3b5d-4c7e-9f10-1a2b3c4d5e6f')).toBeUndefined();
  });
});
