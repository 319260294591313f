import { currency as lookupCurrency, invalidArgument, UnitPrice, type FieldViolation } from '@parley/kit';
import { billingV1 } from '@parley/proto';

/** Number types numbering assigns (numbering.number.assigned `type`). */
export const NUMBER_TYPES = ['local', 'mobile', 'toll_free'] as const;

const countryPattern = /^[A-Z]{2}$/;
const planIdPattern = /^[a-z0-9][a-z0-9-]{1,62}$/;

/** A plan version's prices, checked and read into exact unit prices. */
export interface RatePlan {
  planId: string;
  version: number;
  currency: string;
  effectiveFrom: Date;
  prices: billingV1.PlanPrices;
}

/** Collects every problem of a PlanPrices, so one answer names every bad field. */
class PriceReader {
  readonly violations: FieldViolation[] = [];
  constructor(private readonly currency: string) {}

  price(text: string | undefined, field: string): void {
    if (text === undefined || text === '') {
      this.violations.push({ field, description: 'required: a decimal string such as "0.0079"' });
      return;
    }
    try {
      UnitPrice.parse(text, this.currency, { field });
    } catch {
      this.violations.push({
        field,
        description: 'a non-negative decimal string with at most 9 digits after the point, e.g. "0.00205"',
      });
    }
  }

  byCountry(prices: billingV1.CountryPrices | undefined, field: string): void {
    if (!prices) {
      this.violations.push({ field, description: 'required: { defaultPrice, byCountry }' });
      return;
    }
    this.price(prices.defaultPrice, `${field}.defaultPrice`);
    for (const [country, price] of Object.entries(prices.byCountry)) {
      if (!countryPattern.test(country)) {
        this.violations.push({
          field: `${field}.byCountry`,
          description: `"${country.slice(0, 8)}" is not an ISO 3166-1 alpha-2 code (two capital letters)`,
        });
      } else this.price(price, `${field}.byCountry.${country}`);
    }
  }
}

/** Checks a plan's id, name and currency; errors name the field. */
export function checkPlanHeader(input: { id: string; name: string; currency: string }): void {
  const violations: FieldViolation[] = [];
  if (!planIdPattern.test(input.id))
    violations.push({ field: 'id', description: 'lowercase letters, digits and hyphens, 2-63 characters' });
  if (input.name.trim().length === 0 || input.name.length > 100)
    violations.push({ field: 'name', description: '1-100 characters' });
  if (violations.length > 0) throw invalidArgument('PLAN_INVALID', 'the plan is invalid', violations);
  lookupCurrency(input.currency, 'currency');
}

/**
 * Checks a PlanPrices in `currency`: every price a decimal of at most 9 places, countries ISO codes, number
 * types known and each (type, country) priced once, a "*" entry for every type, call rounding set. Throws
 * INVALID_ARGUMENT `PLAN_PRICES_INVALID` naming every bad field.
 */
export function checkPlanPrices(
  prices: billingV1.PlanPrices | undefined,
  currency: string,
): billingV1.PlanPrices {
  if (!prices) {
    throw invalidArgument('PLAN_PRICES_INVALID', 'prices are required', [
      { field: 'prices', description: 'required' },
    ]);
  }
  const reader = new PriceReader(currency);
  reader.byCountry(prices.smsOutboundPerSegment, 'prices.smsOutboundPerSegment');
  reader.byCountry(prices.mmsOutboundPerMessage, 'prices.mmsOutboundPerMessage');
  reader.price(prices.inboundMessage, 'prices.inboundMessage');
  reader.price(prices.callInboundPerMinute, 'prices.callInboundPerMinute');
  reader.price(prices.callOutboundPerMinute, 'prices.callOutboundPerMinute');
  reader.byCountry(prices.taxPercent, 'prices.taxPercent');
  if (
    prices.callRounding !== billingV1.CallRounding.CALL_ROUNDING_PER_STARTED_MINUTE &&
    prices.callRounding !== billingV1.CallRounding.CALL_ROUNDING_PER_SECOND
  ) {
    reader.violations.push({
      field: 'prices.callRounding',
      description: 'CALL_ROUNDING_PER_STARTED_MINUTE or CALL_ROUNDING_PER_SECOND',
    });
  }
  const seen = new Set<string>();
  prices.numbers.forEach((number, index) => {
    const field = `prices.numbers[${index}]`;
    if (!(NUMBER_TYPES as readonly string[]).includes(number.numberType))
      reader.violations.push({ field: `${field}.numberType`, description: NUMBER_TYPES.join(', ') });
    if (number.country !== '*' && !countryPattern.test(number.country))
      reader.violations.push({ field: `${field}.country`, description: 'an ISO 3166-1 alpha-2 code or "*"' });
    const key = `${number.numberType}/${number.country}`;
    if (seen.has(key)) reader.violations.push({ field, description: `${key} is priced twice` });
    seen.add(key);
    reader.price(number.setup, `${field}.setup`);
    reader.price(number.monthly, `${field}.monthly`);
  });
  for (const type of NUMBER_TYPES) {
    if (!seen.has(`${type}/*`))
      reader.violations.push({
        field: 'prices.numbers',
        description: `needs a "*" (every other country) entry for ${type}`,
      });
  }
  if (reader.violations.length > 0)
    throw invalidArgument('PLAN_PRICES_INVALID', 'the plan prices are invalid', reader.violations);
  return prices;
}

/** A new version's start: not in the past (usage already rated keeps its prices), after the latest one. */
export function checkEffectiveFrom(effectiveFrom: Date, now: Date, latest: Date | undefined): void {
  if (effectiveFrom.getTime() < now.getTime() - 1000) {
    throw invalidArgument('EFFECTIVE_FROM_IN_PAST', 'a price version cannot start in the past', [
      {
        field: 'effectiveFrom',
        description: 'now or later: usage already rated keeps the prices it was rated at',
      },
    ]);
  }
  if (latest && effectiveFrom.getTime() <= latest.getTime()) {
    throw invalidArgument('EFFECTIVE_FROM_IN_PAST', 'a price version must start after the latest one', [
      { field: 'effectiveFrom', description: `after ${latest.toISOString()}` },
    ]);
  }
}

/** The version in force at `at`: the latest one effective at or before it (the first, for earlier usage). */
export function versionAt<V extends { effectiveFrom: Date }>(
  versions: readonly V[],
  at: Date,
): V | undefined {
  let found: V | undefined = versions[0];
  for (const version of versions) if (version.effectiveFrom.getTime() <= at.getTime()) found = version;
  return found;
}
