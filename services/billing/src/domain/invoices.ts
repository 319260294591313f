import { currency, Money, multiplyDecimals, roundHalfAwayFromZero, type Decimal } from '@parley/kit';
import type { Period } from './periods';

/** `PREFIX-YYYYMM-0001`: the tenant's prefix, the period, and the month's sequence (4 digits or more). */
export function invoiceNumber(prefix: string, period: Period, sequence: number): string {
  return `${prefix}-${period.replace('-', '')}-${String(sequence).padStart(4, '0')}`;
}

/** `<invoice>-CN01`: the invoice's n-th credit note. */
export function creditNoteNumber(invoiceNumber: string, sequence: number): string {
  return `${invoiceNumber}-CN${String(sequence).padStart(2, '0')}`;
}

export interface InvoiceTotals {
  subtotals: Record<string, Money>;
  subtotal: Money;
  tax: Money;
  total: Money;
}

/**
 * Subtotals per category (exact sums of the lines, already rounded once each), the tax on their sum
 * rounded once with the kit's rule (half away from zero), and the total: lines + tax = total exactly.
 */
export function invoiceTotals(
  currency: string,
  subtotalsMinor: Record<string, bigint>,
  taxPercent: Decimal,
): InvoiceTotals {
  const subtotals = Object.fromEntries(
    Object.entries(subtotalsMinor).map(([category, minor]) => [category, Money.of(minor, currency)]),
  );
  const subtotal = Money.sum(Object.values(subtotals), currency);
  const tax = taxOn(subtotal, taxPercent);
  return { subtotals, subtotal, tax, total: subtotal.add(tax) };
}

/** `percent`% of `amount`, rounded once to the minor unit, half away from zero (services/kit/MONEY.md). */
export function taxOn(amount: Money, percent: Decimal): Money {
  const { digits } = currency(amount.currency);
  const exact = multiplyDecimals(
    { coefficient: amount.minorUnits, scale: digits },
    { coefficient: percent.coefficient, scale: percent.scale + 2 },
  );
  return Money.of(roundHalfAwayFromZero(exact, digits), amount.currency, 'tax');
}
