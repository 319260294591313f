import { describe, expect, it } from '@jest/globals';
import { Money } from '@parley/kit';
import { creditNoteNumber, invoiceNumber, invoiceTotals, taxOn } from './invoices';
import { pageCount } from './invoicePdf';

const percent = (coefficient: bigint, scale = 0) => ({ coefficient, scale });

describe('invoice numbers', () => {
  it('are PREFIX-YYYYMM-0001, and credit notes <invoice>-CN01', () => {
    expect(invoiceNumber('INV', '2026-11', 1)).toBe('INV-202611-0001');
    expect(invoiceNumber('ACME', '2027-01', 12345)).toBe('ACME-202701-12345');
    expect(creditNoteNumber('INV-202611-0001', 1)).toBe('INV-202611-0001-CN01');
  });
});

describe('invoice totals', () => {
  it('round the tax once on the subtotal, half away from zero, so lines + tax = total exactly', () => {
    // 19% of 0.05 = 0.0095 -> 0.01; per line it would have been 0 + 0 (two lines of 0.025 each).
    expect(taxOn(Money.of(5n, 'USD'), percent(19n)).minorUnits).toBe(1n);
    // 19% of 12.34 = 2.3446 -> 2.34; 7.5% of 0.06 = 0.0045 -> 0.00; 7.5% of 0.07 = 0.00525 -> 0.01.
    expect(taxOn(Money.of(1234n, 'USD'), percent(19n)).minorUnits).toBe(234n);
    expect(taxOn(Money.of(6n, 'EUR'), percent(75n, 1)).minorUnits).toBe(0n);
    expect(taxOn(Money.of(7n, 'EUR'), percent(75n, 1)).minorUnits).toBe(1n);
    // A credit note mirrors the invoice (-0.0095 -> -0.01).
    expect(taxOn(Money.of(-5n, 'USD'), percent(19n)).minorUnits).toBe(-1n);
    // Three-digit currencies keep their minor unit: 5% of BHD 1.005 = 0.05025 -> 0.050.
    expect(taxOn(Money.of(1005n, 'BHD'), percent(5n)).minorUnits).toBe(50n);
  });

  it('sum the categories exactly and add the tax', () => {
    const totals = invoiceTotals('USD', { sms_outbound: 1001n, number_rent: 115n }, percent(19n));
    expect(totals.subtotal.minorUnits).toBe(1116n);
    expect(totals.tax.minorUnits).toBe(212n); // 212.04
    expect(totals.total.minorUnits).toBe(1328n);
    expect(totals.subtotals.number_rent?.minorUnits).toBe(115n);
  });
});

describe('PDF page count', () => {
  it('knows the number of pages before writing the first, the totals moving to a page of their own when needed', () => {
    expect(pageCount(0, 6)).toBe(1);
    expect(pageCount(32, 6)).toBe(1);
    expect(pageCount(33, 6)).toBe(2); // no room for the totals under 33 lines on page 1
    expect(pageCount(38, 6)).toBe(2);
    expect(pageCount(100, 6)).toBe(3);
    expect(pageCount(100_000, 6)).toBe(1 + Math.ceil((100_000 - 38) / 58));
  });
});
