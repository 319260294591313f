import { invalidArgument } from '../errors';

/**
 * An exact decimal: `coefficient × 10^-scale`, both integers. Money needs only parsing, multiplication,
 * addition and one rounding to the minor unit, which scaled BigInt arithmetic does exactly and without a
 * precision setting (decimal.js rounds to 20 significant digits unless told otherwise, which would round
 * a large quantity times a 9-place price silently). No floating point is involved anywhere.
 */
export interface Decimal {
  readonly coefficient: bigint;
  readonly scale: number;
}

const decimalPattern = /^(-)?(\d+)(?:\.(\d+))?$/;

export interface ParseDecimalOptions {
  /** The field the text came from, named in the error. */
  field: string;
  /** Most digits allowed after the point. */
  maxScale: number;
  /** Most digits allowed before the point. */
  maxIntegerDigits?: number;
  allowNegative?: boolean;
}

/** Parses a plain decimal string (`"12.34"`, `"-0.00205"`); exponents, spaces and `+` are refused. */
export function parseDecimal(text: string, options: ParseDecimalOptions): Decimal {
  const fail = (description: string) =>
    invalidArgument('DECIMAL_INVALID', `${options.field} is not a valid amount`, [
      { field: options.field, description },
    ]);
  if (typeof text !== 'string') throw fail('must be a decimal string, e.g. "12.34"');
  const match = decimalPattern.exec(text);
  if (!match) throw fail('must be a decimal string of digits with an optional point, e.g. "12.34"');
  const [, sign, whole = '', fraction = ''] = match;
  if (sign && options.allowNegative === false) throw fail('must not be negative');
  if (fraction.length > options.maxScale) {
    throw fail(`at most ${options.maxScale} digits after the decimal point`);
  }
  const integerDigits = whole.replace(/^0+(?=\d)/, '').length;
  if (options.maxIntegerDigits !== undefined && integerDigits > options.maxIntegerDigits) {
    throw fail(`at most ${options.maxIntegerDigits} digits before the decimal point`);
  }
  const coefficient = BigInt(`${whole}${fraction}`);
  return { coefficient: sign ? -coefficient : coefficient, scale: fraction.length };
}

/** The plain string form, with exactly `scale` digits after the point (none when scale is 0). */
export function formatDecimal(value: Decimal): string {
  const negative = value.coefficient < 0n;
  const digits = (negative ? -value.coefficient : value.coefficient)
    .toString()
    .padStart(value.scale + 1, '0');
  const whole = digits.slice(0, digits.length - value.scale);
  const fraction = digits.slice(digits.length - value.scale);
  return `${negative ? '-' : ''}${whole}${value.scale > 0 ? `.${fraction}` : ''}`;
}

/** Drops trailing zeros after the point: `1.2300` -> `1.23` (same value). */
export function normalizeDecimal(value: Decimal): Decimal {
  let { coefficient, scale } = value;
  while (scale > 0 && coefficient % 10n === 0n) {
    coefficient /= 10n;
    scale -= 1;
  }
  return { coefficient, scale };
}

export function decimalEquals(left: Decimal, right: Decimal): boolean {
  const a = normalizeDecimal(left);
  const b = normalizeDecimal(right);
  return a.coefficient === b.coefficient && a.scale === b.scale;
}

export function multiplyDecimals(left: Decimal, right: Decimal): Decimal {
  return { coefficient: left.coefficient * right.coefficient, scale: left.scale + right.scale };
}

/**
 * Rounds to `scale` digits with Parley's one rounding rule: half away from zero ("round half up" as
 * invoices and tax authorities use it; -0.5 rounds to -1, so a refund line mirrors its charge exactly).
 * Returns the coefficient at the new scale.
 */
export function roundHalfAwayFromZero(value: Decimal, scale: number): bigint {
  if (value.scale <= scale) return value.coefficient * 10n ** BigInt(scale - value.scale);
  const divisor = 10n ** BigInt(value.scale - scale);
  const magnitude = value.coefficient < 0n ? -value.coefficient : value.coefficient;
  const quotient = magnitude / divisor;
  const remainder = magnitude % divisor;
  const rounded = remainder * 2n >= divisor ? quotient + 1n : quotient;
  return value.coefficient < 0n ? -rounded : rounded;
}
