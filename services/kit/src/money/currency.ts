import { data as isoCurrencies } from 'currency-codes';
import { AppError, invalidArgument } from '../errors';

/**
 * ISO 4217 currencies and their minor-unit digits.
 *
 * The table comes from the `currency-codes` package, which is generated from the ISO 4217 maintenance
 * agency's published list ("list one"). We do not take the digits from `Intl.NumberFormat`: ICU/CLDR gives
 * the digits people *display* (often the cash rounding), which differs from ISO 4217 for HUF, IDR, COP,
 * PKR, IQD, IRR, LAK, ... (ICU: 0, ISO 4217: 2, or 3 for IQD). An invoice must use ISO's minor unit, so
 * 1234 HUF minor units are 12.34 Ft, whatever the display convention.
 *
 * Corrections on top of the package's table (see MONEY.md):
 * - Codes whose ISO minor unit is "N.A." (precious metals, bond-market units, SDR, test and "no currency"
 *   codes) are listed by the package with 0 digits; they are refused here, because an amount in them has
 *   no minor unit to count.
 * - Amendments published after the package's data (2024-06-25) are added: XCG (Caribbean guilder,
 *   amendment 176, 2 digits).
 */
export interface Currency {
  /** Three upper-case letters, e.g. `USD`. */
  code: string;
  /** Digits of the minor unit: 2 for USD (cents), 0 for JPY, 3 for BHD. */
  digits: number;
}

/** ISO 4217 entries whose minor unit is "N.A.": not money Parley can invoice in. */
export const currenciesWithoutMinorUnit: ReadonlySet<string> = new Set([
  'XAG',
  'XAU',
  'XBA',
  'XBB',
  'XBC',
  'XBD',
  'XDR',
  'XPD',
  'XPT',
  'XSU',
  'XTS',
  'XUA',
  'XXX',
]);

const amendments: Currency[] = [{ code: 'XCG', digits: 2 }];

const table = new Map<string, Currency>();
for (const entry of isoCurrencies) {
  if (currenciesWithoutMinorUnit.has(entry.code)) continue;
  table.set(entry.code, { code: entry.code, digits: entry.digits });
}
for (const entry of amendments) table.set(entry.code, entry);

/** Every currency code money can be held in. */
export function currencyCodes(): string[] {
  return [...table.keys()].sort();
}

export function isCurrencyCode(code: string): boolean {
  return table.has(code);
}

/** The currency for an ISO 4217 code; an unknown code is a validation error naming `field`. */
export function currency(code: string, field = 'currency'): Currency {
  const found = table.get(code);
  if (found) return found;
  throw invalidArgument('CURRENCY_INVALID', `${field} must be an ISO 4217 currency code`, [
    {
      field,
      description: /^[A-Z]{3}$/.test(code)
        ? 'not an ISO 4217 currency with a minor unit'
        : 'three upper-case letters, e.g. USD',
    },
  ]);
}

/** Arithmetic across two currencies: a programming or data error, never silently converted. */
export class CurrencyMismatchError extends AppError {
  constructor(
    readonly left: string,
    readonly right: string,
  ) {
    super('failed_precondition', 'CURRENCY_MISMATCH', `cannot combine ${left} with ${right}`);
    this.name = 'CurrencyMismatchError';
  }
}

export function sameCurrency(left: string, right: string): void {
  if (left !== right) throw new CurrencyMismatchError(left, right);
}
