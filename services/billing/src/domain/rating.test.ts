import { describe, expect, it } from '@jest/globals';
import { billingV1 } from '@parley/proto';
import { checkEffectiveFrom, checkPlanPrices, versionAt, type RatePlan } from './plans';
import { firstMonthFraction, rateCall, rateNumberRent, rateOutboundMessage } from './rating';
import { nextPeriod, periodOf } from './periods';

const prices = (overrides: Partial<billingV1.PlanPrices> = {}): billingV1.PlanPrices => ({
  smsOutboundPerSegment: { defaultPrice: '0.00205', byCountry: { GB: '0.04' } },
  mmsOutboundPerMessage: { defaultPrice: '0.02', byCountry: {} },
  inboundMessage: '0.0079',
  numbers: [
    { numberType: 'local', country: '*', setup: '1', monthly: '1.15' },
    { numberType: 'local', country: 'GB', setup: '0', monthly: '3.10' },
    { numberType: 'mobile', country: '*', setup: '0', monthly: '1.15' },
    { numberType: 'toll_free', country: '*', setup: '0', monthly: '2.15' },
  ],
  callInboundPerMinute: '0.0085',
  callOutboundPerMinute: '0.014',
  callRounding: billingV1.CallRounding.CALL_ROUNDING_PER_STARTED_MINUTE,
  taxPercent: { defaultPrice: '0', byCountry: { DE: '19' } },
  proRataFirstMonth: true,
  ...overrides,
});

const plan = (overrides: Partial<billingV1.PlanPrices> = {}): RatePlan => ({
  planId: 'p',
  version: 1,
  currency: 'USD',
  effectiveFrom: new Date('2026-01-01T00:00:00Z'),
  prices: prices(overrides),
});

describe('rating', () => {
  it('prices SMS per segment by destination, rounding the line once (7 × 0.00205 = 0.01435 -> 0.01)', () => {
    const line = rateOutboundMessage(plan(), { kind: 'sms', segments: 7, destinationCountry: 'US' });
    expect(line).toMatchObject({ category: 'sms_outbound', unit: 'segment' });
    expect(line.amount.minorUnits).toBe(1n);
    expect(
      rateOutboundMessage(plan(), { kind: 'sms', segments: 3, destinationCountry: 'GB' }).amount.minorUnits,
    ).toBe(12n);
    expect(
      rateOutboundMessage(plan(), { kind: 'mms', segments: 5, destinationCountry: 'US' }).amount.minorUnits,
    ).toBe(2n);
  });

  it('counts call minutes per started minute or per second', () => {
    const call = { direction: 'outbound', durationSeconds: 61, peerCountry: 'US' };
    expect(rateCall(plan(), call).quantity).toEqual({ coefficient: 2n, scale: 0 });
    const perSecond = plan({
      callRounding: billingV1.CallRounding.CALL_ROUNDING_PER_SECOND,
      callOutboundPerMinute: '0.6',
    });
    // 61 s at 0.60/min = 0.61 exactly
    expect(rateCall(perSecond, call).amount.minorUnits).toBe(61n);
    expect(rateCall(plan(), { ...call, durationSeconds: 0 }).amount.minorUnits).toBe(0n);
  });

  it('prices rent by type and country with a "*" fallback, pro rata in the first month', () => {
    expect(
      rateNumberRent(plan(), { type: 'local', country: 'GB' }, { coefficient: 1n, scale: 0 }).amount
        .minorUnits,
    ).toBe(310n);
    expect(
      rateNumberRent(plan(), { type: 'local', country: 'FR' }, { coefficient: 1n, scale: 0 }).amount
        .minorUnits,
    ).toBe(115n);
    // Assigned on 16 November (30 days): 15 days left -> half of 1.15 = 0.575 -> 0.58
    const fraction = firstMonthFraction(plan(), new Date('2026-11-16T10:00:00Z'));
    expect(rateNumberRent(plan(), { type: 'local', country: 'US' }, fraction).amount.minorUnits).toBe(58n);
    expect(firstMonthFraction(plan({ proRataFirstMonth: false }), new Date('2026-11-16T10:00:00Z'))).toEqual({
      coefficient: 1n,
      scale: 0,
    });
  });
});

describe('plans', () => {
  it('names every bad price field', () => {
    const bad = prices({ inboundMessage: '0.1234567891', numbers: [], callRounding: 0 });
    try {
      checkPlanPrices(bad, 'USD');
      throw new Error('accepted');
    } catch (error) {
      const fields = (error as { fieldViolations: { field: string }[] }).fieldViolations.map((v) => v.field);
      expect(fields).toEqual(
        expect.arrayContaining(['prices.inboundMessage', 'prices.callRounding', 'prices.numbers']),
      );
    }
  });

  it('refuses a version that starts in the past or before the latest', () => {
    const now = new Date('2026-12-01T00:00:00Z');
    expect(() => checkEffectiveFrom(new Date('2026-11-30T00:00:00Z'), now, undefined)).toThrow(/past/);
    expect(() =>
      checkEffectiveFrom(new Date('2026-12-02T00:00:00Z'), now, new Date('2026-12-03T00:00:00Z')),
    ).toThrow(/after the latest/);
    expect(() => checkEffectiveFrom(new Date('2026-12-02T00:00:00Z'), now, undefined)).not.toThrow();
  });

  it('finds the version in force at a time', () => {
    const versions = [
      { version: 1, effectiveFrom: new Date('2026-01-01T00:00:00Z') },
      { version: 2, effectiveFrom: new Date('2026-06-01T00:00:00Z') },
    ];
    expect(versionAt(versions, new Date('2026-05-31T23:59:59Z'))?.version).toBe(1);
    expect(versionAt(versions, new Date('2026-06-01T00:00:00Z'))?.version).toBe(2);
    expect(versionAt(versions, new Date('2025-01-01T00:00:00Z'))?.version).toBe(1);
  });

  it('names periods as UTC months', () => {
    expect(periodOf(new Date('2026-12-31T23:59:59Z'))).toBe('2026-12');
    expect(nextPeriod('2026-12')).toBe('2027-01');
  });
});
