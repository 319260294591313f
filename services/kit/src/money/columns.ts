import { bigint, char, customType } from 'drizzle-orm/pg-core';
import { type Decimal, formatDecimal, normalizeDecimal, parseDecimal } from './decimal';
import { UNIT_PRICE_INTEGER_DIGITS, UNIT_PRICE_SCALE } from './unitPrice';

/**
 * Drizzle column helpers for money. A money amount is two columns, the minor units and the currency:
 *
 *   amountMinor: minorUnitsColumn('amount_minor').notNull(),
 *   currency: currencyColumn('currency').notNull(),
 *   unitPrice: unitPriceColumn('unit_price').notNull(),
 *
 * and in the SQL migration: `amount_minor bigint not null, currency char(3) not null
 * check (currency ~ '^[A-Z]{3}$'), unit_price numeric(20, 9) not null`. Build `Money.of(row.amountMinor,
 * row.currency)` from a row.
 */

/** `bigint` read and written as a JS bigint (never a number: amounts beyond 2^53 stay exact). */
export const minorUnitsColumn = <TName extends string>(name: TName) => bigint(name, { mode: 'bigint' });

/** `char(3)`, an ISO 4217 code. */
export const currencyColumn = <TName extends string>(name: TName) => char(name, { length: 3 });

/**
 * `numeric(20, 9)` as an exact Decimal: node-postgres hands numeric over as a string and the string is
 * parsed without ever becoming a floating-point number, so what is written is read back exactly.
 */
export const unitPriceColumn = customType<{ data: Decimal; driverData: string }>({
  dataType: () => `numeric(${UNIT_PRICE_INTEGER_DIGITS + UNIT_PRICE_SCALE}, ${UNIT_PRICE_SCALE})`,
  toDriver: (value) => formatDecimal(value),
  fromDriver: (value) =>
    normalizeDecimal(
      parseDecimal(String(value), {
        field: 'unit_price',
        maxScale: UNIT_PRICE_SCALE,
        maxIntegerDigits: UNIT_PRICE_INTEGER_DIGITS,
      }),
    ),
});
