import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import type { Logger } from '../logging';

export interface MigrationSource {
  /** Names the set, so the kit's own tables and the service's are versioned apart. */
  scope: string;
  dir: string;
}

interface Migration {
  scope: string;
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

export class SchemaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SchemaError';
  }
}

const fileName = /^(\d{4})_([a-z0-9_]+)\.sql$/;
// Any constant shared by every replica of every service works: each service has its own database.
const LOCK_KEY = 728_371_901;

export function readMigrations(source: MigrationSource): Migration[] {
  if (!existsSync(source.dir)) throw new SchemaError(`migrations directory ${source.dir} does not exist`);
  const migrations = readdirSync(source.dir)
    .filter((name) => name.endsWith('.sql'))
    .map((name) => {
      const match = fileName.exec(name);
      if (!match) throw new SchemaError(`migration file ${name} must be named NNNN_lower_snake.sql`);
      const text = readFileSync(join(source.dir, name), 'utf8');
      return {
        scope: source.scope,
        version: Number(match[1]),
        name,
        sql: text,
        checksum: createHash('sha256').update(text).digest('hex'),
      };
    })
    .sort((a, b) => a.version - b.version);
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new SchemaError(`migrations in ${source.dir} must be numbered 0001, 0002, ... without gaps`);
    }
  });
  return migrations;
}

export interface MigrateOptions {
  /** `apply` runs pending migrations; `verify` refuses (throws) when any is pending. */
  mode: 'apply' | 'verify';
  log: Logger;
}

/**
 * Brings the database up to the code's schema. An advisory lock serialises concurrent callers (two
 * replicas starting at once, or the Helm hook and a pod), and each migration commits in its own
 * transaction together with its row in `schema_migrations`. A migration edited after it was applied
 * is refused, because the database no longer matches what the file says.
 */
export async function migrate(
  pool: pg.Pool,
  sources: MigrationSource[],
  options: MigrateOptions,
): Promise<string[]> {
  const wanted = sources.flatMap(readMigrations);
  const client = await pool.connect();
  try {
    await client.query('select pg_advisory_lock($1)', [LOCK_KEY]);
    await client.query(`create table if not exists schema_migrations (
      scope text not null,
      version integer not null,
      name text not null,
      checksum text not null,
      applied_at timestamptz not null default now(),
      primary key (scope, version)
    )`);
    const { rows } = await client.query<{ scope: string; version: number; checksum: string; name: string }>(
      'select scope, version, checksum, name from schema_migrations',
    );
    const applied = new Map(rows.map((row) => [`${row.scope}/${row.version}`, row]));
    for (const migration of wanted) {
      const row = applied.get(`${migration.scope}/${migration.version}`);
      if (row && row.checksum !== migration.checksum) {
        throw new SchemaError(
          `migration ${migration.scope}/${migration.name} was changed after it was applied; add a new migration instead`,
        );
      }
    }
    const pending = wanted.filter((migration) => !applied.has(`${migration.scope}/${migration.version}`));
    if (options.mode === 'verify') {
      if (pending.length > 0) {
        throw new SchemaError(
          `database schema is behind the code: pending ${pending.map((m) => `${m.scope}/${m.name}`).join(', ')}; run the migrate job (node dist/main.js migrate)`,
        );
      }
      return [];
    }
    for (const migration of pending) {
      try {
        await client.query('begin');
        await client.query(migration.sql);
        await client.query(
          'insert into schema_migrations (scope, version, name, checksum) values ($1, $2, $3, $4)',
          [migration.scope, migration.version, migration.name, migration.checksum],
        );
        await client.query('commit');
        options.log.info({ migration: `${migration.scope}/${migration.name}` }, 'migration applied');
      } catch (error) {
        await client.query('rollback');
        throw new SchemaError(
          `migration ${migration.scope}/${migration.name} failed: ${(error as Error).message}`,
        );
      }
    }
    return pending.map((migration) => `${migration.scope}/${migration.name}`);
  } finally {
    await client.query('select pg_advisory_unlock($1)', [LOCK_KEY]).catch(() => undefined);
    client.release();
  }
}
