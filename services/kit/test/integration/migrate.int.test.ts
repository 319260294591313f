import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type pg from 'pg';
import { createLogger, createPool, migrate, SchemaError, type MigrationSource } from '@parley/kit';
import { createTestDatabase, type TestDatabase } from '../../../../tests/support/infra';

const log = createLogger({ service: 'kit-test', version: 'test', level: 'silent' });

function migrationsDir(files: Record<string, string>): MigrationSource {
  const dir = mkdtempSync(join(tmpdir(), 'parley-migrations-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return { scope: 'service', dir };
}

describe('kit migrate', () => {
  let database: TestDatabase;
  const pools: pg.Pool[] = [];
  const pool = () => {
    const created = createPool(database.url, 2);
    pools.push(created);
    return created;
  };

  beforeAll(async () => {
    database = await createTestDatabase('migrate');
  });

  afterAll(async () => {
    await Promise.all(pools.map((each) => each.end()));
    await database.drop();
  });

  describe('when several replicas start at once', () => {
    it('applies each migration exactly once', async () => {
      const source = migrationsDir({
        '0001_first.sql':
          'create table first_table (id int primary key); insert into first_table values (1);',
        '0002_second.sql': 'create table second_table (id int primary key); select pg_sleep(0.2);',
      });
      const results = await Promise.all(
        [1, 2, 3].map(() => migrate(pool(), [source], { mode: 'apply', log })),
      );
      expect(results.flat().sort()).toEqual(['service/0001_first.sql', 'service/0002_second.sql']);
      const rows = await pool().query('select scope, version from schema_migrations order by version');
      expect(rows.rows).toEqual([
        { scope: 'service', version: 1 },
        { scope: 'service', version: 2 },
      ]);
      expect((await pool().query('select count(*)::int as n from first_table')).rows[0].n).toBe(1);
    });
  });

  describe('MIGRATIONS=verify', () => {
    it('refuses to start on a schema that is behind, naming the pending migration', async () => {
      const source = migrationsDir({
        '0001_first.sql':
          'create table first_table (id int primary key); insert into first_table values (1);',
        '0002_second.sql': 'create table second_table (id int primary key); select pg_sleep(0.2);',
        '0003_third.sql': 'create table third_table (id int primary key);',
      });
      await expect(migrate(pool(), [source], { mode: 'verify', log })).rejects.toThrow(
        /behind the code: pending service\/0003_third\.sql/,
      );
      await migrate(pool(), [source], { mode: 'apply', log });
      await expect(migrate(pool(), [source], { mode: 'verify', log })).resolves.toEqual([]);
    });
  });

  describe('a migration edited after it was applied', () => {
    it('is refused', async () => {
      const source = migrationsDir({
        '0001_first.sql': 'create table first_table (id int primary key, changed text);',
      });
      await expect(migrate(pool(), [source], { mode: 'apply', log })).rejects.toThrow(SchemaError);
      await expect(migrate(pool(), [source], { mode: 'apply', log })).rejects.toThrow(
        /was changed after it was applied/,
      );
    });
  });

  describe('a migration that fails', () => {
    it('leaves no part of itself behind and is not recorded', async () => {
      const scratch = await createTestDatabase('migrate_fail');
      const scratchPool = createPool(scratch.url, 2);
      try {
        const source = migrationsDir({
          '0001_ok.sql': 'create table ok_table (id int);',
          '0002_broken.sql': 'create table half_table (id int); select no_such_function();',
        });
        await expect(migrate(scratchPool, [source], { mode: 'apply', log })).rejects.toThrow(
          /0002_broken\.sql failed/,
        );
        const tables = await scratchPool.query(
          `select tablename from pg_tables where schemaname = 'public' order by 1`,
        );
        expect(tables.rows.map((row) => row.tablename)).toEqual(['ok_table', 'schema_migrations']);
        expect((await scratchPool.query('select version from schema_migrations')).rows).toEqual([
          { version: 1 },
        ]);
      } finally {
        await scratchPool.end();
        await scratch.drop();
      }
    });
  });

  describe('badly named or numbered files', () => {
    it('are refused before anything runs', async () => {
      await expect(
        migrate(pool(), [migrationsDir({ 'first.sql': 'select 1' })], { mode: 'apply', log }),
      ).rejects.toThrow(/must be named NNNN_lower_snake\.sql/);
      await expect(
        migrate(pool(), [migrationsDir({ '0002_gap.sql': 'select 1' })], { mode: 'apply', log }),
      ).rejects.toThrow(/without gaps/);
    });
  });
});
