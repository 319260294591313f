import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { commonV1 } from '@parley/proto';
import { AppError } from '../errors';
import {
  CurrencyMismatchError,
  Money,
  UnitPrice,
  currency,
  currencyCodes,
  currenciesWithoutMinorUnit,
  isCurrencyCode,
  parseDecimal,
} from '.';

function violation(run: () => unknown): { reason: string; field?: string; kind: string } {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    const appError = error as AppError;
    return { reason: appError.reason, field: appError.fieldViolations[0]?.field, kind: appError.kind };
  }
  throw new Error('expected an error');
}

describe('currencies', () => {
  it('takes minor units from ISO 4217, not from ICU where the two differ', () => {
    // ICU/CLDR (Intl.NumberFormat) says 0 for HUF, IDR, COP, PKR and IQD; ISO 4217 says 2 (IQD: 3).
    expect(currency('HUF').digits).toBe(2);
    expect(currency('IDR').digits).toBe(2);
    expect(currency('COP').digits).toBe(2);
    expect(currency('IQD').digits).toBe(3);
    expect(currency('TWD').digits).toBe(2);
    expect(currency('ISK').digits).toBe(0);
    expect(currency('CLP').digits).toBe(0);
    expect(currency('KRW').digits).toBe(0);
    expect(currency('UGX').digits).toBe(0);
    expect(currency('JPY').digits).toBe(0);
    expect(currency('BHD').digits).toBe(3);
    expect(currency('CLF').digits).toBe(4);
    expect(currency('XCG').digits).toBe(2);
  });

  it('matches the ISO 4217 list the package ships, code for code', () => {
    const xml = readFileSync(
      join(dirname(require.resolve('currency-codes')), 'iso-4217-list-one.xml'),
      'utf8',
    );
    const listed = new Map<string, string>();
    for (const entry of xml.matchAll(/<Ccy>([A-Z]{3})<\/Ccy>[\s\S]*?<CcyMnrUnts>([^<]+)<\/CcyMnrUnts>/g)) {
      listed.set(entry[1]!, entry[2]!);
    }
    expect(listed.size).toBeGreaterThan(150);
    for (const [code, minor] of listed) {
      if (minor === 'N.A.') {
        expect({ code, known: isCurrencyCode(code) }).toEqual({ code, known: false });
        expect(currenciesWithoutMinorUnit.has(code)).toBe(true);
      } else {
        expect({ code, digits: currency(code).digits }).toEqual({ code, digits: Number(minor) });
      }
    }
    expect(currencyCodes()).toContain('USD');
  });

  it('refuses unknown, lower-case and minor-unit-less codes, naming the field', () => {
    expect(violation(() => currency('usd', 'price.currency'))).toEqual({
      kind: 'invalid_argument',
      reason: 'CURRENCY_INVALID',
      field: 'price.currency',
    });
    expect(violation(() => currency('ABC')).reason).toBe('CURRENCY_INVALID');
    expect(violation(() => currency('XAU')).reason).toBe('CURRENCY_INVALID');
  });
});

describe('Money', () => {
  it('adds and subtracts in one currency, and refuses to mix currencies with a typed error', () => {
    const a = Money.of(1234n, 'USD');
    expect(a.add(Money.of(66n, 'USD')).toDecimalString()).toBe('13.00');
    expect(a.subtract(Money.of(2000n, 'USD')).toDecimalString()).toBe('-7.66');
    expect(() => a.add(Money.of(1n, 'EUR'))).toThrow(CurrencyMismatchError);
    const mismatch = violation(() => a.subtract(Money.of(1n, 'EUR')));
    expect(mismatch).toEqual({ kind: 'failed_precondition', reason: 'CURRENCY_MISMATCH', field: undefined });
    expect(() => a.compare(Money.of(1n, 'JPY'))).toThrow(CurrencyMismatchError);
    expect(Money.sum([a, a, a], 'USD').minorUnits).toBe(3702n);
    expect(Money.sum([], 'EUR').equals(Money.zero('EUR'))).toBe(true);
  });

  it('keeps amounts beyond 2^53 exact and refuses what does not fit int64', () => {
    const big = Money.of(2n ** 53n + 1n, 'USD');
    expect(big.add(Money.of(1n, 'USD')).minorUnits).toBe(9007199254740994n);
    expect(big.toDecimalString()).toBe('90071992547409.93');
    const max = Money.of(2n ** 63n - 1n, 'USD');
    expect(violation(() => max.add(Money.of(1n, 'USD'))).reason).toBe('MONEY_OUT_OF_RANGE');
    expect(violation(() => Money.of(-(2n ** 63n), 'USD').negate()).reason).toBe('MONEY_OUT_OF_RANGE');
    expect(violation(() => Money.of(12.5 as unknown as bigint, 'USD')).reason).toBe('MONEY_INVALID');
  });

  it('parses API strings in the currency minor unit and names the field when they are wrong', () => {
    expect(Money.parse('12.34', 'USD').minorUnits).toBe(1234n);
    expect(Money.parse('12.3', 'USD').minorUnits).toBe(1230n);
    expect(Money.parse('-0.05', 'USD').minorUnits).toBe(-5n);
    expect(Money.parse('500', 'JPY').minorUnits).toBe(500n);
    expect(Money.parse('1.234', 'BHD').minorUnits).toBe(1234n);
    expect(Money.parse('92233720368547758.07', 'USD').minorUnits).toBe(2n ** 63n - 1n);
    expect(violation(() => Money.parse('12.345', 'USD', 'charge.amount'))).toEqual({
      kind: 'invalid_argument',
      reason: 'DECIMAL_INVALID',
      field: 'charge.amount',
    });
    expect(violation(() => Money.parse('1.5', 'JPY', 'total')).field).toBe('total');
    for (const bad of ['', ' 1', '1e3', '+1', '1.', '.5', '1,00', 'NaN', '0x10', '１']) {
      expect(violation(() => Money.parse(bad, 'USD', 'amount')).field).toBe('amount');
    }
    expect(violation(() => Money.parse('1', 'usd', 'amount', 'charge.currency')).field).toBe(
      'charge.currency',
    );
    expect(violation(() => Money.parse('92233720368547758.08', 'USD')).reason).toBe('MONEY_OUT_OF_RANGE');
    expect(violation(() => Money.parse('9'.repeat(100_000), 'USD', 'total')).field).toBe('total');
  });

  it('round-trips through its JSON form, which is the proto message shape', () => {
    const refund = Money.of(-123456789012345678n, 'EUR');
    const json = JSON.parse(JSON.stringify(refund)) as unknown;
    expect(json).toEqual({ currency: 'EUR', minorUnits: '-123456789012345678' });
    expect(Money.fromJSON(json).equals(refund)).toBe(true);
    const wire = commonV1.Money.decode(commonV1.Money.encode(refund.toJSON()).finish());
    expect(Money.fromJSON(wire).equals(refund)).toBe(true);
    expect(violation(() => Money.fromJSON({ currency: 'EUR', minorUnits: 12 }, 'fee')).field).toBe(
      'fee.minorUnits',
    );
    expect(violation(() => Money.fromJSON({ currency: 'EUR', minorUnits: '1.5' }, 'fee')).field).toBe(
      'fee.minorUnits',
    );
    expect(violation(() => Money.fromJSON({ minorUnits: '1' }, 'fee')).field).toBe('fee.currency');
    expect(violation(() => Money.fromJSON(null, 'fee')).field).toBe('fee.currency');
  });

  it('allocates a total over lines without losing or creating a minor unit', () => {
    const parts = Money.of(100n, 'USD').allocate([1, 1, 1]);
    expect(parts.map((part) => part.minorUnits)).toEqual([34n, 33n, 33n]);
    const refund = Money.of(-100n, 'USD').allocate([1, 1, 1]);
    expect(refund.map((part) => part.minorUnits)).toEqual([-34n, -33n, -33n]);
    const weighted = Money.of(1001n, 'JPY').allocate([3n, 0, 7]);
    expect(weighted.map((part) => part.minorUnits)).toEqual([300n, 0n, 701n]);
    const huge = Money.of(2n ** 62n + 7n, 'USD').allocate([1, 2, 3, 4, 5, 6, 7]);
    expect(huge.reduce((sum, part) => sum + part.minorUnits, 0n)).toBe(2n ** 62n + 7n);
    expect(violation(() => Money.of(1n, 'USD').allocate([0, 0])).reason).toBe('ALLOCATION_INVALID');
    expect(violation(() => Money.of(1n, 'USD').allocate([1, -1])).field).toBe('weights[1]');
    expect(violation(() => Money.of(1n, 'USD').allocate([0.5])).field).toBe('weights[0]');
  });

  it('formats for display with the ISO digits, exactly beyond 2^53', () => {
    expect(Money.of(1234n, 'USD').format('en-US')).toBe('$12.34');
    expect(Money.of(-50n, 'USD').format('en-US')).toBe('-$0.50');
    expect(Money.of(1234567n, 'JPY').format('en-US')).toBe('¥1,234,567');
    expect(Money.of(1234n, 'HUF').format('en-US', { currencyDisplay: 'code' })).toMatch(/^HUF\s12\.34$/);
    expect(Money.of(1234n, 'BHD').format('en-US', { currencyDisplay: 'code' })).toMatch(/^BHD\s1\.234$/);
    expect(Money.of(9007199254740993n, 'USD').format('en-US')).toBe('$90,071,992,547,409.93');
    expect(Money.of(1234n, 'EUR').format('de-DE')).toMatch(/^12,34\s€$/);
    expect(Money.of(-5n, 'USD').toString()).toBe('USD -0.05');
  });
});

describe('UnitPrice', () => {
  it('holds prices with up to 9 places exactly and multiplies exactly', () => {
    const segment = UnitPrice.parse('0.00205', 'USD');
    expect(segment.times(1000).toDecimalString()).toBe('2.05');
    expect(segment.times(1_000_000_000_000n).toDecimalString()).toBe('2050000000.00');
    // 0.1 + 0.2 style traps: 3 x 0.000000001 is exact.
    expect(UnitPrice.parse('0.000000001', 'USD').times(3_000_000_000n).toDecimalString()).toBe('3.00');
    expect(UnitPrice.parse('99999999999.999999999', 'USD').times(92_233n).minorUnits).toBe(
      922330000000000000n - 0n,
    );
  });

  it('rounds once per line, half away from zero, in 0-, 2- and 3-digit currencies', () => {
    const price = UnitPrice.parse('0.005', 'USD');
    expect(price.times(1).minorUnits).toBe(1n); // 0.005 -> 0.01 (half up)
    expect(price.times(3).minorUnits).toBe(2n); // 0.015 -> 0.02
    expect(UnitPrice.parse('0.00205', 'USD').times(7).minorUnits).toBe(1n); // 0.01435 -> 0.01
    expect(UnitPrice.parse('0.00205', 'USD').times(1).minorUnits).toBe(0n); // 0.00205 -> 0.00
    expect(UnitPrice.parse('0.004999999', 'USD').times(1).minorUnits).toBe(0n);
    const credit = UnitPrice.parse('-0.005', 'USD', { allowNegative: true });
    expect(credit.times(1).minorUnits).toBe(-1n); // a refund mirrors its charge
    expect(credit.times(3).minorUnits).toBe(-2n);
    expect(UnitPrice.parse('0.5', 'JPY').times(1).minorUnits).toBe(1n);
    expect(UnitPrice.parse('0.5', 'JPY').times(3).minorUnits).toBe(2n); // 1.5 -> 2
    expect(UnitPrice.parse('0.49', 'JPY').times(1).minorUnits).toBe(0n);
    expect(UnitPrice.parse('0.0005', 'BHD').times(1).minorUnits).toBe(1n); // 0.0005 -> 0.001
    expect(UnitPrice.parse('0.0004', 'BHD').times(1).minorUnits).toBe(0n);
    // A fractional quantity (1.5 minutes) is an exact decimal too.
    const minutes = parseDecimal('1.5', { field: 'quantity', maxScale: 6 });
    expect(UnitPrice.parse('0.013', 'USD').times(minutes).minorUnits).toBe(2n); // 0.0195 -> 0.02
    expect(violation(() => UnitPrice.parse('0.013', 'USD').times(1.5, 'minutes')).field).toBe('minutes');
  });

  it('refuses malformed, too precise, too large or negative prices, naming the field', () => {
    expect(violation(() => UnitPrice.parse('0.0000000001', 'USD', { field: 'rate.price' })).field).toBe(
      'rate.price',
    );
    expect(violation(() => UnitPrice.parse('123456789012', 'USD')).field).toBe('unitPrice');
    expect(violation(() => UnitPrice.parse('-0.01', 'USD')).field).toBe('unitPrice');
    expect(violation(() => UnitPrice.parse('1e-3', 'USD')).reason).toBe('DECIMAL_INVALID');
    expect(violation(() => UnitPrice.parse('0.01', 'US')).reason).toBe('CURRENCY_INVALID');
  });

  it('round-trips through JSON and the proto message', () => {
    const price = UnitPrice.parse('0.002050', 'USD');
    expect(price.toJSON()).toEqual({ currency: 'USD', decimal: '0.00205' });
    const wire = commonV1.UnitPrice.decode(commonV1.UnitPrice.encode(price.toJSON()).finish());
    expect(UnitPrice.fromJSON(wire).equals(price)).toBe(true);
    expect(violation(() => UnitPrice.fromJSON({ currency: 'USD', decimal: 0.00205 }, 'rate')).field).toBe(
      'rate.decimal',
    );
    expect(violation(() => UnitPrice.fromJSON({ currency: 'USD', decimal: 'abc' }, 'rate')).field).toBe(
      'rate.decimal',
    );
  });
});
