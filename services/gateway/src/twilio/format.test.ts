import { describe, expect, it } from '@jest/globals';
import { messagingV1 } from '@parley/proto';
import { callResource, listPage, messageResource, rfc2822 } from './format';
import { dateRange } from './operation';

const record = (overrides: Partial<messagingV1.MessageRecord>): messagingV1.MessageRecord =>
  ({
    ...messagingV1.MessageRecord.fromPartial({
      id: '019a7c3e-8f20-7b41-9c2d-5e6f7a8b9c0d',
      direction: messagingV1.Direction.DIRECTION_OUTBOUND,
      from: '+14155550123',
      to: '+447911123456',
      body: 'hi',
      segments: 2,
      status: 'queued',
      createdAt: new Date('2026-12-01T12:30:00Z'),
      updatedAt: new Date('2026-12-01T12:30:00Z'),
    }),
    ...overrides,
  }) as messagingV1.MessageRecord;

describe('Twilio resources', () => {
  it('writes dates as Twilio does (RFC 2822, +0000)', () => {
    expect(rfc2822(new Date('2026-12-01T15:07:10Z'))).toBe('Tue, 01 Dec 2026 15:07:10 +0000');
  });

  it("gives a message Twilio's fields: SID, segments as text, outbound-api, no price yet", () => {
    const message = messageResource(record({}), 'AC' + '0'.repeat(32));
    expect(message).toMatchObject({
      sid: 'SM019a7c3e8f207b419c2d5e6f7a8b9c0d',
      num_segments: '2',
      direction: 'outbound-api',
      status: 'queued',
      price: null,
      error_code: null,
      date_sent: null,
    });
    expect(message.uri).toBe(
      `/2010-04-01/Accounts/AC${'0'.repeat(32)}/Messages/SM019a7c3e8f207b419c2d5e6f7a8b9c0d.json`,
    );
  });

  it("maps Parley's failure reasons to Twilio's error codes", () => {
    const codeOf = (status: string, errorCode: string) =>
      messageResource(record({ status, errorCode }), 'AC').error_code;
    expect(codeOf('failed', 'RECIPIENT_OPTED_OUT')).toBe(21610);
    expect(codeOf('expired', 'VALIDITY_PERIOD_PASSED')).toBe(30001);
    expect(codeOf('undelivered', 'UNDELIV:001')).toBe(30003);
    expect(codeOf('delivered', '')).toBeNull();
    expect(messageResource(record({ status: 'expired' }), 'AC').status).toBe('failed');
  });

  it('pages with a next_page_uri that carries the page token and the filters', () => {
    const page = listPage({
      key: 'messages',
      records: [1, 2],
      path: '/2010-04-01/Accounts/AC1/Messages.json',
      filters: { To: '+447911123456' },
      page: 0,
      pageSize: 2,
      nextPageToken: 'tok',
    });
    expect(page.next_page_uri).toBe(
      '/2010-04-01/Accounts/AC1/Messages.json?To=%2B447911123456&PageSize=2&Page=1&PageToken=tok',
    );
    expect(
      listPage({
        ...{ key: 'messages', records: [], path: '/p', filters: {}, page: 3, pageSize: 2 },
        nextPageToken: '',
      }).next_page_uri,
    ).toBeNull();
  });
});

describe('the Call resource', () => {
  const call = (overrides: Partial<messagingV1.CallRecord>) =>
    messagingV1.CallRecord.fromPartial({
      id: '019a7c3e-8f20-7b41-9c2d-5e6f7a8b9c0d',
      direction: messagingV1.Direction.DIRECTION_INBOUND,
      from: '+447911123456',
      to: '+14155550123',
      startedAt: new Date('2026-12-01T12:30:00Z'),
      endedAt: new Date('2026-12-01T12:31:05Z'),
      durationSeconds: 61,
      disposition: 'answered',
      ...overrides,
    });

  it("gives a call record Twilio's fields: CA SID, status, duration as text, formatted numbers", () => {
    expect(callResource(call({}), 'AC1')).toMatchObject({
      sid: 'CA019a7c3e8f207b419c2d5e6f7a8b9c0d',
      account_sid: 'AC1',
      direction: 'inbound',
      status: 'completed',
      duration: '61',
      start_time: 'Tue, 01 Dec 2026 12:30:00 +0000',
      end_time: 'Tue, 01 Dec 2026 12:31:05 +0000',
      from_formatted: '+44 7911 123456',
      to_formatted: '(415) 555-0123',
      price: null,
      uri: '/2010-04-01/Accounts/AC1/Calls/CA019a7c3e8f207b419c2d5e6f7a8b9c0d.json',
    });
  });

  it("maps Parley's dispositions and directions to Twilio's words", () => {
    const of = (overrides: Partial<messagingV1.CallRecord>) => callResource(call(overrides), 'AC1');
    expect(of({ disposition: 'no_answer' }).status).toBe('no-answer');
    expect(of({ disposition: 'busy' }).status).toBe('busy');
    expect(of({ disposition: 'failed' }).status).toBe('failed');
    expect(of({ direction: messagingV1.Direction.DIRECTION_OUTBOUND }).direction).toBe('outbound-api');
  });
});

describe('date filters (StartTime, EndTime, DateSent)', () => {
  it('reads a day, on-or-before and on-or-after, as Twilio does', () => {
    expect(dateRange({ StartTime: '2026-12-01' }, 'StartTime')).toEqual({
      after: new Date('2026-12-01T00:00:00Z'),
      before: new Date('2026-12-02T00:00:00Z'),
    });
    expect(dateRange({ 'EndTime<': '2026-12-01', 'EndTime>': '2026-11-01T10:00:00Z' }, 'EndTime')).toEqual({
      after: new Date('2026-11-01T10:00:00Z'),
      before: new Date('2026-12-02T00:00:00Z'),
    });
    expect(() => dateRange({ StartTime: 'yesterday' }, 'StartTime')).toThrow(/StartTime must be a date/);
  });
});
