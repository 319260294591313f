import { describe, expect, it } from '@jest/globals';
import { twilioAccountSid } from '@parley/kit';
import { RECEIVED_TYPE, twilioCallbackParams } from './twilioCallbacks';

const id = '019a7c3e-8f20-7b41-9c2d-5e6f7a8b9c0d';
const sid = 'SM019a7c3e8f207b419c2d5e6f7a8b9c0d';

describe('twilioCallbackParams', () => {
  it("renders a status change as Twilio's status callback", () => {
    const params = twilioCallbackParams('acme', {
      type: 'messaging.message.delivered',
      timestamp: '2026-12-01T10:00:00Z',
      data: { id, status: 'delivered', errorCode: null, from: '+14155550100', to: '+447911123456' },
    });
    expect(params).toEqual({
      AccountSid: twilioAccountSid('acme'),
      ApiVersion: '2010-04-01',
      From: '+14155550100',
      To: '+447911123456',
      MessageSid: sid,
      SmsSid: sid,
      MessageStatus: 'delivered',
      SmsStatus: 'delivered',
    });
  });

  it("names a failure with Twilio's error code, an expired message as failed", () => {
    const params = twilioCallbackParams('acme', {
      type: 'messaging.message.expired',
      timestamp: '2026-12-01T10:00:00Z',
      data: { id, status: 'expired', errorCode: 'VALIDITY_PERIOD_PASSED', from: '+1', to: '+2' },
    });
    expect(params).toMatchObject({ MessageStatus: 'failed', ErrorCode: '30001' });
  });

  it('renders an inbound message with its body, segments and media', () => {
    const params = twilioCallbackParams('acme', {
      type: RECEIVED_TYPE,
      timestamp: '2026-12-01T10:00:00Z',
      data: {
        id,
        from: '+447911123456',
        to: '+14155550100',
        body: 'Hello',
        numSegments: 2,
        mediaUrls: ['https://example.com/a.jpg'],
      },
    });
    expect(params).toMatchObject({
      MessageSid: sid,
      SmsMessageSid: sid,
      Body: 'Hello',
      NumSegments: '2',
      NumMedia: '1',
      MediaUrl0: 'https://example.com/a.jpg',
      SmsStatus: 'received',
    });
    expect(params.MessageStatus).toBeUndefined();
  });
});
