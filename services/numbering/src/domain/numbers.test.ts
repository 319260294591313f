import { describe, expect, it } from '@jest/globals';
import { callbacksV1 } from '@parley/proto';
import { AppError } from '@parley/kit';
import {
  applyNumberPatch,
  parseExchangeRates,
  priceIn,
  quarantineOf,
  searchQuery,
  DEFAULT_EXCHANGE_RATES,
} from './numbers';
import { checkCancellable } from './portIn';

const rates = parseExchangeRates(DEFAULT_EXCHANGE_RATES);
const reason = (work: () => unknown) => {
  try {
    work();
  } catch (error) {
    return (error as AppError).reason;
  }
  return 'none';
};

describe('priceIn', () => {
  it('keeps a price in its own currency exact', () => {
    expect(priceIn({ amount: '1.15', currency: 'USD' }, 'USD', rates).minorUnits).toBe(115n);
  });
  it('converts with a direct rate and rounds once, half away from zero', () => {
    // 1.15 x 0.92 = 1.058 -> 1.06
    expect(priceIn({ amount: '1.15', currency: 'USD' }, 'EUR', rates).minorUnits).toBe(106n);
    // 0.5 x 0.79 = 0.395 -> 0.40 (half away from zero, not to even)
    expect(priceIn({ amount: '0.5', currency: 'USD' }, 'GBP', rates).minorUnits).toBe(40n);
  });
  it('converts through USD when no direct pair is listed', () => {
    // 1.00 GBP x 1.266 x 0.92 = 1.16472 EUR -> 1.16
    expect(priceIn({ amount: '1.00', currency: 'GBP' }, 'EUR', rates).minorUnits).toBe(116n);
  });
  it('refuses a currency it has no rate into', () => {
    expect(reason(() => priceIn({ amount: '1', currency: 'USD' }, 'JPY', rates))).toBe(
      'CURRENCY_NOT_SUPPORTED',
    );
  });
  it('names a malformed rate entry', () => {
    expect(() => parseExchangeRates('USD:EUR=abc')).toThrow(/USD:EUR=abc/);
  });
});

describe('searchQuery', () => {
  const base = { country: 'us', areaCode: '', type: '', capabilities: [], contains: '', limit: 0 };
  it('upper-cases the country and defaults the limit to 20', () => {
    expect(searchQuery(base)).toMatchObject({ country: 'US', limit: 20 });
  });
  it('answers stable codes for an unknown country and a malformed pattern', () => {
    expect(reason(() => searchQuery({ ...base, country: 'ZZ' }))).toBe('COUNTRY_UNKNOWN');
    expect(reason(() => searchQuery({ ...base, contains: '4-5' }))).toBe('PATTERN_MALFORMED');
    expect(searchQuery({ ...base, contains: '4*5' }).contains).toBe('4*5');
  });
});

describe('quarantineOf', () => {
  it('lets the tenant take it back for 10 days, never past the quarantine', () => {
    const at = new Date('2026-12-01T00:00:00Z');
    expect(quarantineOf(at, 30)).toEqual({
      quarantineUntil: new Date('2026-12-31T00:00:00Z'),
      reclaimUntil: new Date('2026-12-11T00:00:00Z'),
    });
    expect(quarantineOf(at, 5).reclaimUntil).toEqual(new Date('2026-12-06T00:00:00Z'));
  });
});

describe('applyNumberPatch', () => {
  const current = {
    friendlyName: '',
    accountId: null,
    forwardingTarget: null,
    callerId: null,
    messagingWebhookUrl: null,
    messagingWebhookFormat: 'standard_webhooks' as const,
    voiceWebhookUrl: null,
    messagingProfile: '',
    throughputClass: 'long_code',
  };
  it('checks every field before applying any', () => {
    expect(
      reason(() =>
        applyNumberPatch(current, { forwardingTarget: '123', friendlyName: 'ok' }, ['sms', 'voice']),
      ),
    ).toBe('NUMBERING_INVALID_REQUEST');
  });
  it('posts the messaging webhook in the format of the API that set its URL', () => {
    const twilio = applyNumberPatch(
      current,
      {
        messagingWebhookUrl: 'https://example.com/sms',
        messagingWebhookFormat: callbacksV1.CallbackFormat.CALLBACK_FORMAT_TWILIO,
      },
      ['sms'],
    );
    expect(twilio.next.messagingWebhookFormat).toBe('twilio');
    const native = applyNumberPatch(twilio.next, { messagingWebhookUrl: 'https://example.com/other' }, [
      'sms',
    ]);
    expect(native.next.messagingWebhookFormat).toBe('standard_webhooks');
    // A patch that leaves the URL alone leaves its format alone.
    expect(applyNumberPatch(twilio.next, { friendlyName: 'x' }, ['sms']).next.messagingWebhookFormat).toBe(
      'twilio',
    );
  });

  it('names the fields that changed and the capability a setting needs', () => {
    const result = applyNumberPatch(current, { voiceWebhookUrl: 'https://example.com/v' }, ['sms']);
    expect(result.changed).toEqual(['voiceWebhookUrl']);
    expect(result.missingCapability).toEqual(['voice', 'voiceWebhookUrl']);
  });
});

describe('checkCancellable', () => {
  const now = new Date('2026-12-01T00:00:00Z');
  it('refuses within 48 hours of the confirmed date and once activating', () => {
    expect(reason(() => checkCancellable('foc_date_confirmed', new Date('2026-12-02T12:00:00Z'), now))).toBe(
      'PORT_IN_NOT_CANCELLABLE',
    );
    expect(reason(() => checkCancellable('activating', null, now))).toBe('PORT_IN_NOT_CANCELLABLE');
    expect(reason(() => checkCancellable('foc_date_confirmed', new Date('2026-12-04T00:00:00Z'), now))).toBe(
      'none',
    );
  });
});
