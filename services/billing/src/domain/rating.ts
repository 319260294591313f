import { UnitPrice, type Decimal, type Money } from '@parley/kit';
import { billingV1 } from '@parley/proto';
import type { RatePlan } from './plans';

export type UsageCategory =
  | 'sms_outbound'
  | 'mms_outbound'
  | 'message_inbound'
  | 'number_setup'
  | 'number_rent'
  | 'call_inbound'
  | 'call_outbound';

export const USAGE_CATEGORIES: readonly UsageCategory[] = [
  'sms_outbound',
  'mms_outbound',
  'message_inbound',
  'number_setup',
  'number_rent',
  'call_inbound',
  'call_outbound',
];

/** One rated line before it is stored: quantity × unit price, rounded once (the kit's rule). */
export interface RatedLine {
  category: UsageCategory;
  quantity: Decimal;
  unit: 'segment' | 'message' | 'minute' | 'second' | 'month' | 'number';
  unitPrice: UnitPrice;
  amount: Money;
  country: string;
}

function line(
  plan: RatePlan,
  category: UsageCategory,
  unit: RatedLine['unit'],
  price: string,
  quantity: Decimal,
  country: string,
): RatedLine {
  const unitPrice = UnitPrice.parse(price, plan.currency, { field: category });
  return { category, unit, unitPrice, quantity, amount: unitPrice.times(quantity), country };
}

const whole = (n: number | bigint): Decimal => ({ coefficient: BigInt(n), scale: 0 });

function countryPrice(prices: billingV1.CountryPrices | undefined, country: string): string {
  return prices?.byCountry[country] ?? prices?.defaultPrice ?? '0';
}

/** An outbound SMS is priced per segment, an MMS per message, by destination country. */
export function rateOutboundMessage(
  plan: RatePlan,
  message: { kind: string; segments: number; destinationCountry: string },
): RatedLine {
  const country = message.destinationCountry.toUpperCase();
  if (message.kind === 'mms') {
    return line(
      plan,
      'mms_outbound',
      'message',
      countryPrice(plan.prices.mmsOutboundPerMessage, country),
      whole(1),
      country,
    );
  }
  return line(
    plan,
    'sms_outbound',
    'segment',
    countryPrice(plan.prices.smsOutboundPerSegment, country),
    whole(Math.max(1, message.segments)),
    country,
  );
}

/** An inbound message is priced per message. */
export function rateInboundMessage(plan: RatePlan, message: { originCountry: string }): RatedLine {
  return line(
    plan,
    'message_inbound',
    'message',
    plan.prices.inboundMessage,
    whole(1),
    message.originCountry.toUpperCase(),
  );
}

/**
 * A call is priced per minute by direction: per started minute (61 s = 2 minutes) or per second (61 s =
 * 61/60 of the per-minute price, the quantity kept in seconds and the price per second exact to 9 places
 * only through the multiplication, so nothing is rounded before the line). Zero seconds cost nothing.
 */
export function rateCall(
  plan: RatePlan,
  call: { direction: string; durationSeconds: number; peerCountry: string },
): RatedLine {
  const outbound = call.direction === 'outbound';
  const category: UsageCategory = outbound ? 'call_outbound' : 'call_inbound';
  const perMinute = outbound ? plan.prices.callOutboundPerMinute : plan.prices.callInboundPerMinute;
  const seconds = Math.max(0, Math.floor(call.durationSeconds));
  const country = call.peerCountry.toUpperCase();
  if (plan.prices.callRounding === billingV1.CallRounding.CALL_ROUNDING_PER_SECOND) {
    // seconds/60 minutes: an exact decimal only when 60 divides it, so multiply the price by seconds and
    // divide by 60 as a scaled quantity: minutes = seconds × 10^9 / 60, truncated at 9 places (a 9-place
    // minute count is finer than any currency's minor unit).
    const minutes: Decimal = { coefficient: (BigInt(seconds) * 10n ** 9n) / 60n, scale: 9 };
    return line(plan, category, 'minute', perMinute, minutes, country);
  }
  return line(plan, category, 'minute', perMinute, whole(Math.ceil(seconds / 60)), country);
}

/** The price entry for a number: its type in its country, else its type's "*" entry. */
export function numberPrice(
  plan: RatePlan,
  type: string,
  country: string,
): billingV1.NumberPrice | undefined {
  const entries = plan.prices.numbers.filter((entry) => entry.numberType === type);
  return (
    entries.find((entry) => entry.country === country.toUpperCase()) ??
    entries.find((entry) => entry.country === '*')
  );
}

export function rateNumberSetup(plan: RatePlan, number: { type: string; country: string }): RatedLine {
  const price = numberPrice(plan, number.type, number.country);
  return line(plan, 'number_setup', 'number', price?.setup ?? '0', whole(1), number.country.toUpperCase());
}

/**
 * A month's rent for a number. `fraction` is the share of the month charged: 1 for a whole month, or
 * days left (counting the assignment day) over days in the month for a pro-rata first month, as an exact
 * decimal with 9 places.
 */
export function rateNumberRent(
  plan: RatePlan,
  number: { type: string; country: string },
  fraction: Decimal,
): RatedLine {
  const price = numberPrice(plan, number.type, number.country);
  return line(plan, 'number_rent', 'month', price?.monthly ?? '0', fraction, number.country.toUpperCase());
}

/** The share of the assignment month charged for its rent: whole, or pro rata from the assignment day. */
export function firstMonthFraction(plan: RatePlan, assignedAt: Date): Decimal {
  if (!plan.prices.proRataFirstMonth) return whole(1);
  const year = assignedAt.getUTCFullYear();
  const month = assignedAt.getUTCMonth();
  const days = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  const left = days - assignedAt.getUTCDate() + 1;
  if (left === days) return whole(1);
  return { coefficient: (BigInt(left) * 10n ** 9n) / BigInt(days), scale: 9 };
}
