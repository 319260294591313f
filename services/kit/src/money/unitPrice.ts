import { invalidArgument } from '../errors';
import { currency as lookupCurrency } from './currency';
import {
  type Decimal,
  decimalEquals,
  formatDecimal,
  multiplyDecimals,
  normalizeDecimal,
  parseDecimal,
  roundHalfAwayFromZero,
} from './decimal';
import { Money } from './money';

/** Digits a unit price keeps after the point; the `numeric(20, 9)` column holds exactly this many. */
export const UNIT_PRICE_SCALE = 9;
/** Digits before the point that `numeric(20, 9)` leaves room for. */
export const UNIT_PRICE_INTEGER_DIGITS = 11;

/** A unit price's JSON form, the same shape as the proto message `parley.common.v1.UnitPrice`. */
export interface UnitPriceJson {
  currency: string;
  /** Major units as a decimal string, up to 9 places: `"0.00205"` is 0.205 US cents. */
  decimal: string;
}

export type Quantity = bigint | number | Decimal;

function toQuantity(quantity: Quantity, field: string): Decimal {
  if (typeof quantity === 'bigint') return { coefficient: quantity, scale: 0 };
  if (typeof quantity === 'number') {
    if (!Number.isSafeInteger(quantity)) {
      throw invalidArgument('QUANTITY_INVALID', `${field} must be an integer`, [
        { field, description: 'a whole number; pass a fractional quantity as an exact decimal' },
      ]);
    }
    return { coefficient: BigInt(quantity), scale: 0 };
  }
  return quantity;
}

/**
 * A price per unit (a message segment, a minute, a number-month) in major units with up to 9 decimal
 * places, held exactly. `times` multiplies by a quantity exactly and rounds once, to the currency's minor
 * unit, with the one rounding rule (half away from zero). That is the only place money is rounded.
 */
export class UnitPrice {
  private constructor(
    readonly currency: string,
    readonly amount: Decimal,
  ) {}

  static of(amount: Decimal, currencyCode: string, field = 'unitPrice'): UnitPrice {
    const { code } = lookupCurrency(currencyCode, `${field}.currency`);
    const normalized = normalizeDecimal(amount);
    if (normalized.scale > UNIT_PRICE_SCALE) {
      throw invalidArgument('UNIT_PRICE_INVALID', `${field} has too many decimal places`, [
        { field, description: `at most ${UNIT_PRICE_SCALE} digits after the decimal point` },
      ]);
    }
    const limit = 10n ** BigInt(UNIT_PRICE_INTEGER_DIGITS + normalized.scale);
    if (normalized.coefficient >= limit || normalized.coefficient <= -limit) {
      throw invalidArgument('UNIT_PRICE_INVALID', `${field} is too large`, [
        { field, description: `at most ${UNIT_PRICE_INTEGER_DIGITS} digits before the decimal point` },
      ]);
    }
    return new UnitPrice(code, normalized);
  }

  /** Parses `"0.00205"`; errors name `field`. Negative prices (credits) only with `allowNegative`. */
  static parse(
    text: string,
    currencyCode: string,
    options: { field?: string; currencyField?: string; allowNegative?: boolean } = {},
  ): UnitPrice {
    const field = options.field ?? 'unitPrice';
    const { code } = lookupCurrency(currencyCode, options.currencyField ?? 'currency');
    const amount = parseDecimal(text, {
      field,
      maxScale: UNIT_PRICE_SCALE,
      maxIntegerDigits: UNIT_PRICE_INTEGER_DIGITS,
      allowNegative: options.allowNegative ?? false,
    });
    return UnitPrice.of(amount, code, field);
  }

  static fromJSON(value: unknown, field = 'unitPrice', options: { allowNegative?: boolean } = {}): UnitPrice {
    const object = (typeof value === 'object' && value !== null ? value : {}) as Partial<
      Record<keyof UnitPriceJson, unknown>
    >;
    if (typeof object.currency !== 'string') {
      throw invalidArgument('CURRENCY_INVALID', `${field}.currency is required`, [
        { field: `${field}.currency`, description: 'an ISO 4217 code, e.g. USD' },
      ]);
    }
    if (typeof object.decimal !== 'string') {
      throw invalidArgument('UNIT_PRICE_INVALID', `${field}.decimal is required`, [
        { field: `${field}.decimal`, description: 'a decimal string, e.g. "0.00205"' },
      ]);
    }
    return UnitPrice.parse(object.decimal, object.currency, {
      field: `${field}.decimal`,
      currencyField: `${field}.currency`,
      allowNegative: options.allowNegative,
    });
  }

  /**
   * The line amount for `quantity` units: the exact product, rounded once to the currency's minor unit,
   * half away from zero. 7 segments at USD 0.00205 = 0.01435 -> USD 0.01; 1,000 segments = USD 2.05 exactly.
   */
  times(quantity: Quantity, field = 'quantity'): Money {
    const exact = multiplyDecimals(this.amount, toQuantity(quantity, field));
    const { digits } = lookupCurrency(this.currency);
    return Money.of(roundHalfAwayFromZero(exact, digits), this.currency, 'lineAmount');
  }

  equals(other: UnitPrice): boolean {
    return this.currency === other.currency && decimalEquals(this.amount, other.amount);
  }

  /** The decimal string without trailing zeros: `"0.00205"`. */
  toDecimalString(): string {
    return formatDecimal(this.amount);
  }

  toJSON(): UnitPriceJson {
    return { currency: this.currency, decimal: this.toDecimalString() };
  }

  toString(): string {
    return `${this.currency} ${this.toDecimalString()}`;
  }
}
