import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { asc } from 'drizzle-orm';
import { pgTable, integer } from 'drizzle-orm/pg-core';
import {
  createDatabase,
  createPool,
  currencyColumn,
  minorUnitsColumn,
  Money,
  UnitPrice,
  unitPriceColumn,
  type Database,
} from '@parley/kit';
import type pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../../../../tests/support/infra';

const lines = pgTable('money_lines', {
  id: integer('id').primaryKey(),
  amountMinor: minorUnitsColumn('amount_minor').notNull(),
  currency: currencyColumn('currency').notNull(),
  unitPrice: unitPriceColumn('unit_price').notNull(),
});

describe('kit money columns in PostgreSQL', () => {
  let database: TestDatabase;
  let pool: pg.Pool;
  let db: Database;

  beforeAll(async () => {
    database = await createTestDatabase('money');
    pool = createPool(database.url, 2);
    db = createDatabase(pool);
    await pool.query(`create table money_lines (
      id integer primary key,
      amount_minor bigint not null,
      currency char(3) not null check (currency ~ '^[A-Z]{3}$'),
      unit_price numeric(20, 9) not null
    )`);
  });

  afterAll(async () => {
    await pool.end();
    await database.drop();
  });

  it('round-trips amounts beyond 2^53, refunds and 9-place unit prices exactly', async () => {
    const rows = [
      { money: Money.of(2n ** 63n - 1n, 'USD'), price: UnitPrice.parse('99999999999.999999999', 'USD') },
      { money: Money.of(-(2n ** 53n) - 3n, 'EUR'), price: UnitPrice.parse('0.00205', 'EUR') },
      { money: Money.of(-1n, 'JPY'), price: UnitPrice.parse('0.000000001', 'JPY') },
      { money: Money.of(1234n, 'BHD'), price: UnitPrice.parse('-12.5', 'BHD', { allowNegative: true }) },
    ];
    await db.insert(lines).values(
      rows.map((row, id) => ({
        id,
        amountMinor: row.money.minorUnits,
        currency: row.money.currency,
        unitPrice: row.price.amount,
      })),
    );
    const read = await db.select().from(lines).orderBy(asc(lines.id));
    expect(read).toHaveLength(rows.length);
    read.forEach((row, index) => {
      expect(typeof row.amountMinor).toBe('bigint');
      expect(Money.of(row.amountMinor, row.currency).equals(rows[index]!.money)).toBe(true);
      expect(UnitPrice.of(row.unitPrice, row.currency).equals(rows[index]!.price)).toBe(true);
    });
    // What PostgreSQL holds is the exact decimal, not a float's approximation.
    const { rows: raw } = await pool.query<{ unit_price: string; amount_minor: string }>(
      'select unit_price::text, amount_minor::text from money_lines where id = 1',
    );
    expect(raw[0]).toEqual({ unit_price: '0.002050000', amount_minor: '-9007199254740995' });
    // Sums computed by PostgreSQL over the bigint column come back exact as well.
    const { rows: sum } = await pool.query<{ total: string }>(
      `select sum(amount_minor)::text as total from money_lines where currency in ('USD', 'EUR')`,
    );
    expect(BigInt(sum[0]!.total)).toBe(2n ** 63n - 1n - 2n ** 53n - 3n);
  });

  it('refuses a unit price too large for the column (UnitPrice refuses more than 9 places before SQL, which would round them)', async () => {
    await expect(
      pool.query(`insert into money_lines values (9, 0, 'USD', $1::numeric(20, 9))`, ['123456789012.5']),
    ).rejects.toThrow(/numeric field overflow/);
  });
});
