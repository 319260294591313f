import { describe, expect, it } from '@jest/globals';
import { messagingV1 } from '@parley/proto';
import { listPage, messageResource, rfc2822 } from './format';

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
