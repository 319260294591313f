import { invalidArgument } from '../errors';
import { currency as lookupCurrency, sameCurrency } from './currency';
import { formatDecimal, parseDecimal } from './decimal';

/** Money's JSON form, the same shape as the proto message `parley.common.v1.Money` in proto3 JSON. */
export interface MoneyJson {
  /** ISO 4217 code, e.g. `USD`. */
  currency: string;
  /** Integer count of minor units as a string (`"1234"` is USD 12.34): int64 does not fit a JSON number. */
  minorUnits: string;
}

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

function checkRange(minorUnits: bigint, field: string): bigint {
  if (minorUnits > INT64_MAX || minorUnits < INT64_MIN) {
    throw invalidArgument('MONEY_OUT_OF_RANGE', `${field} is too large`, [
      { field, description: 'the amount in minor units must fit a signed 64-bit integer' },
    ]);
  }
  return minorUnits;
}

/**
 * An amount of money: an integer count of the currency's ISO 4217 minor unit (cents for USD, yen for JPY,
 * fils for BHD) as a bigint, so no floating point is ever involved and amounts beyond 2^53 stay exact.
 * Negative amounts are refunds and credits. Immutable; arithmetic only within one currency.
 */
export class Money {
  private constructor(
    readonly minorUnits: bigint,
    readonly currency: string,
  ) {}

  /** `Money.of(1234n, 'USD')` is USD 12.34. The currency code is validated; the amount must fit int64. */
  static of(minorUnits: bigint, currencyCode: string, field = 'amount'): Money {
    if (typeof minorUnits !== 'bigint') {
      throw invalidArgument('MONEY_INVALID', `${field} must be an integer number of minor units`, [
        { field, description: 'minor units are a bigint, never a floating-point number' },
      ]);
    }
    const { code } = lookupCurrency(currencyCode, `${field}.currency`);
    return new Money(checkRange(minorUnits, field), code);
  }

  static zero(currencyCode: string): Money {
    return Money.of(0n, currencyCode);
  }

  /**
   * Parses a major-unit decimal string as an API carries it (`"12.34"`, `"-5"`, `"0.5"` for USD): more
   * fraction digits than the currency's minor unit is an error, never rounded away. Errors name `field`.
   */
  static parse(text: string, currencyCode: string, field = 'amount', currencyField = 'currency'): Money {
    const { code, digits } = lookupCurrency(currencyCode, currencyField);
    // 19 digits is int64's width: longer input is refused before it is turned into a number at all.
    const value = parseDecimal(text, { field, maxScale: digits, maxIntegerDigits: 19 });
    return Money.of(value.coefficient * 10n ** BigInt(digits - value.scale), code, field);
  }

  /** Reads the JSON (or proto) form, validating both fields; errors name `field.currency` / `field.minorUnits`. */
  static fromJSON(value: unknown, field = 'amount'): Money {
    const object = (typeof value === 'object' && value !== null ? value : {}) as Partial<
      Record<keyof MoneyJson, unknown>
    >;
    if (typeof object.currency !== 'string') {
      throw invalidArgument('CURRENCY_INVALID', `${field}.currency is required`, [
        { field: `${field}.currency`, description: 'an ISO 4217 code, e.g. USD' },
      ]);
    }
    const minor = object.minorUnits;
    if (typeof minor !== 'string' || !/^-?\d{1,19}$/.test(minor)) {
      throw invalidArgument('MONEY_INVALID', `${field}.minorUnits must be an integer string`, [
        {
          field: `${field}.minorUnits`,
          description: 'an integer number of minor units as a string, e.g. "1234"',
        },
      ]);
    }
    return Money.of(BigInt(minor), object.currency, `${field}.minorUnits`);
  }

  /** Sums amounts of one currency; an empty list is zero in `currencyCode`. */
  static sum(amounts: readonly Money[], currencyCode: string): Money {
    return amounts.reduce((total, amount) => total.add(amount), Money.zero(currencyCode));
  }

  get digits(): number {
    return lookupCurrency(this.currency).digits;
  }

  add(other: Money): Money {
    sameCurrency(this.currency, other.currency);
    return new Money(checkRange(this.minorUnits + other.minorUnits, 'amount'), this.currency);
  }

  subtract(other: Money): Money {
    sameCurrency(this.currency, other.currency);
    return new Money(checkRange(this.minorUnits - other.minorUnits, 'amount'), this.currency);
  }

  negate(): Money {
    return new Money(checkRange(-this.minorUnits, 'amount'), this.currency);
  }

  isZero(): boolean {
    return this.minorUnits === 0n;
  }

  isNegative(): boolean {
    return this.minorUnits < 0n;
  }

  equals(other: Money): boolean {
    return this.currency === other.currency && this.minorUnits === other.minorUnits;
  }

  /** -1, 0 or 1; comparing two currencies throws CurrencyMismatchError. */
  compare(other: Money): -1 | 0 | 1 {
    sameCurrency(this.currency, other.currency);
    return this.minorUnits < other.minorUnits ? -1 : this.minorUnits > other.minorUnits ? 1 : 0;
  }

  /**
   * Splits this amount over parts in proportion to `weights` (non-negative integers, not all zero), so the
   * parts add up to exactly this amount: each part gets its share rounded toward zero, then the minor
   * units left over go one each to the parts with the largest remainders (the earliest part on a tie).
   * `allocate([1, 1, 1])` of USD 1.00 gives 0.34, 0.33, 0.33; a negative amount splits the same way, negated.
   */
  allocate(weights: readonly (number | bigint)[]): Money[] {
    const ratios = weights.map((weight, index) => {
      if (typeof weight === 'number' && !Number.isSafeInteger(weight)) {
        throw invalidArgument('ALLOCATION_INVALID', 'allocation weights must be integers', [
          { field: `weights[${index}]`, description: 'a non-negative integer' },
        ]);
      }
      const ratio = BigInt(weight);
      if (ratio < 0n) {
        throw invalidArgument('ALLOCATION_INVALID', 'allocation weights must not be negative', [
          { field: `weights[${index}]`, description: 'a non-negative integer' },
        ]);
      }
      return ratio;
    });
    const totalWeight = ratios.reduce((sum, ratio) => sum + ratio, 0n);
    if (totalWeight === 0n) {
      throw invalidArgument('ALLOCATION_INVALID', 'allocation needs at least one positive weight', [
        { field: 'weights', description: 'at least one weight above zero' },
      ]);
    }
    const negative = this.minorUnits < 0n;
    const magnitude = negative ? -this.minorUnits : this.minorUnits;
    const shares = ratios.map((ratio, index) => ({
      index,
      amount: (magnitude * ratio) / totalWeight,
      remainder: (magnitude * ratio) % totalWeight,
    }));
    let left = magnitude - shares.reduce((sum, share) => sum + share.amount, 0n);
    const byRemainder = [...shares].sort((a, b) =>
      a.remainder === b.remainder ? a.index - b.index : a.remainder > b.remainder ? -1 : 1,
    );
    for (const share of byRemainder) {
      if (left === 0n) break;
      share.amount += 1n;
      left -= 1n;
    }
    return shares.map((share) => new Money(negative ? -share.amount : share.amount, this.currency));
  }

  /** The major-unit decimal string with exactly the currency's digits: `"12.34"`, `"-0.50"`, `"1234"` (JPY). */
  toDecimalString(): string {
    return formatDecimal({ coefficient: this.minorUnits, scale: this.digits });
  }

  /**
   * For display only: the locale's currency format with the ISO 4217 number of digits (ICU's own choice of
   * digits differs for some currencies, e.g. HUF). The exact decimal string is handed to Intl, so amounts
   * beyond 2^53 format exactly.
   */
  format(
    locale = 'en-US',
    options: { currencyDisplay?: 'symbol' | 'code' | 'name' | 'narrowSymbol' } = {},
  ): string {
    const digits = this.digits;
    const formatter = new Intl.NumberFormat(locale, {
      style: 'currency',
      currency: this.currency,
      currencyDisplay: options.currencyDisplay ?? 'symbol',
      minimumFractionDigits: digits,
      maximumFractionDigits: digits,
    });
    // Intl accepts a decimal string as an exact value (ECMA-402 "Intl.NumberFormat v3"); the types lag.
    return formatter.format(this.toDecimalString() as unknown as number);
  }

  toJSON(): MoneyJson {
    return { currency: this.currency, minorUnits: this.minorUnits.toString() };
  }

  /** For logs and messages: `USD 12.34`. */
  toString(): string {
    return `${this.currency} ${this.toDecimalString()}`;
  }
}
