import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'drizzle-orm';
import { createDatabase, createPool, PREPARED_PER_CONNECTION, withTenant } from '@parley/kit';
import type pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../../../../tests/support/infra';

/** The statements the connection running this query holds prepared. */
async function preparedOn(client: pg.PoolClient): Promise<string[]> {
  const { rows } = await client.query<{ name: string }>(
    'select name from pg_prepared_statements order by name',
  );
  return rows.map((row) => row.name);
}

describe('kit pool: statements kept prepared per connection', () => {
  let database: TestDatabase;
  let pool: pg.Pool;

  beforeAll(async () => {
    database = await createTestDatabase('prepared');
    pool = createPool(database.url, 2);
  });

  afterAll(async () => {
    await pool.end();
    await database.drop();
  });

  it('prepares a parameterised statement once per connection, named after its verb, and answers as before', async () => {
    const client = await pool.connect();
    try {
      for (const value of [1, 2, 3]) {
        const { rows } = await client.query<{ doubled: number }>('select $1::int * 2 as doubled', [value]);
        expect(rows).toEqual([{ doubled: value * 2 }]);
      }
      // Without parameters (begin, commit, DDL) nothing is prepared.
      await client.query('select 1');
      const names = await preparedOn(client);
      expect(names).toHaveLength(1);
      expect(names[0]).toMatch(/^select-[A-Za-z0-9_-]{27}$/);
    } finally {
      client.release();
    }
  });

  it('keeps at most PREPARED_PER_CONNECTION, and sends the rest unnamed', async () => {
    const client = await pool.connect();
    try {
      const texts = Array.from(
        { length: PREPARED_PER_CONNECTION + 20 },
        (_, index) => `select $1::int + ${index} as value`,
      );
      for (const [index, text] of texts.entries()) {
        const { rows } = await client.query<{ value: number }>(text, [1]);
        expect(rows[0]!.value).toBe(1 + index);
      }
      expect((await preparedOn(client)).length).toBeLessThanOrEqual(PREPARED_PER_CONNECTION);
      // A statement past the bound still works, again and again.
      for (let run = 0; run < 2; run++)
        expect((await client.query<{ value: number }>(texts.at(-1)!, [5])).rows[0]!.value).toBe(
          5 + texts.length - 1,
        );
    } finally {
      client.release();
    }
  });

  it('runs drizzle queries and tenant transactions through prepared statements, errors included', async () => {
    const db = createDatabase(pool);
    await db.execute(sql`create table notes (tenant_id text not null, body text not null)`);
    await withTenant(db, 'acme', (tx) => tx.execute(sql`insert into notes values (${'acme'}, ${'hello'})`));
    await withTenant(db, 'acme', (tx) => tx.execute(sql`insert into notes values (${'acme'}, ${'again'})`));
    const { rows } = await db.execute<{ body: string }>(
      sql`select body from notes where tenant_id = ${'acme'} order by body`,
    );
    expect(rows.map((row) => row.body)).toEqual(['again', 'hello']);
    // A statement that fails to prepare is not taken as prepared: the same text fails again, plainly.
    for (let run = 0; run < 2; run++)
      await expect(
        db.execute(sql`select no_such_column from notes where tenant_id = ${'acme'}`),
      ).rejects.toThrow(/no_such_column/);
  });
});
