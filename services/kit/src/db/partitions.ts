import { sql } from 'drizzle-orm';
import type pg from 'pg';
import type { Transaction } from './database';

/**
 * Monthly range partitions on a timestamptz column (messages, call records, usage: the high-volume,
 * time-ordered tables whose retention is counted in months). See `services/kit/PARTITIONS.md`.
 *
 * The service's migration creates the parent, its default partition and its row-level-security policy:
 *
 *   create table usage_records (
 *     tenant_id text not null, id uuid not null, recorded_at timestamptz not null, ...,
 *     primary key (tenant_id, recorded_at, id)            -- the partition key must be in every unique key
 *   ) partition by range (recorded_at);
 *   create table usage_records_default partition of usage_records default;
 *   alter table usage_records enable row level security; alter table usage_records force row level security;
 *   create policy tenant_isolation on usage_records using (...) with check (...);
 *
 * and the service then calls `ensurePartitions` at start-up and daily (on the kit's job queue), and
 * `dropExpired` for the platform-wide expiry. Monthly partitions are named `<table>_pYYYYMM` and cover
 * `[first of the month 00:00 UTC, first of the next month 00:00 UTC)`.
 */
export interface PartitionedTable {
  /** The parent table, `partition by range (<column>)`. */
  table: string;
  /** Its timestamptz partition key. */
  column: string;
}

const identifier = /^[a-z_][a-z0-9_]{0,47}$/;

function checked(spec: PartitionedTable): PartitionedTable {
  for (const name of [spec.table, spec.column]) {
    if (!identifier.test(name))
      throw new Error(`partitioned table: unsafe identifier ${JSON.stringify(name)}`);
  }
  return spec;
}

const quote = (name: string) => `"${name}"`;

/** First instant of the UTC month `offset` months after the month holding `at`. */
export function monthStart(at: Date, offset = 0): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + offset, 1));
}

export function partitionName(table: string, month: Date): string {
  return `${table}_p${month.getUTCFullYear()}${String(month.getUTCMonth() + 1).padStart(2, '0')}`;
}

export const defaultPartitionName = (table: string) => `${table}_default`;

/** Monthly partitions of `table` that exist now (by our naming), oldest first, with their bounds. */
export async function listPartitions(
  client: pg.Pool | pg.PoolClient,
  spec: PartitionedTable,
): Promise<{ name: string; from: Date; to: Date }[]> {
  const { table } = checked(spec);
  const { rows } = await client.query<{ name: string }>(
    `select child.relname as name from pg_inherits
       join pg_class child on child.oid = pg_inherits.inhrelid
       join pg_class parent on parent.oid = pg_inherits.inhparent
      where parent.relname = $1 and parent.relnamespace = to_regnamespace(current_schema())`,
    [table],
  );
  const pattern = new RegExp(`^${table}_p(\\d{4})(\\d{2})$`);
  return rows
    .map((row) => ({ row, match: pattern.exec(row.name) }))
    .filter((entry): entry is { row: { name: string }; match: RegExpExecArray } => entry.match !== null)
    .map(({ row, match }) => {
      const from = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, 1));
      return { name: row.name, from, to: monthStart(from, 1) };
    })
    .sort((a, b) => a.from.getTime() - b.from.getTime());
}

/** Waits this long for a table lock before giving up (and retrying on the next run) instead of queueing writers. */
const LOCK_TIMEOUT = '5s';

async function inMaintenance<T>(
  pool: pg.Pool,
  spec: PartitionedTable,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    await client.query(`set local lock_timeout = '${LOCK_TIMEOUT}'`);
    // One maintainer per table at a time across every replica; the lock ends with the transaction.
    await client.query('select pg_advisory_xact_lock(hashtext($1))', [`kit_partitions:${spec.table}`]);
    const { rows } = await client.query<{ key: string | null }>(
      `select pg_get_partkeydef(oid) as key from pg_class
        where relname = $1 and relnamespace = to_regnamespace(current_schema())`,
      [spec.table],
    );
    const key = rows[0]?.key;
    if (key === undefined) throw new Error(`partitioned table ${spec.table} does not exist`);
    if (key !== `RANGE (${spec.column})`) {
      throw new Error(
        `table ${spec.table} must be partitioned by range (${spec.column}), found ${key ?? 'none'}`,
      );
    }
    const result = await work(client);
    await client.query('commit');
    return result;
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/**
 * Row-level security is enforced through the parent only (PostgreSQL applies the parent's policies to
 * rows reached through it, and a partition's own policies only when it is queried directly). Each
 * partition therefore gets RLS enabled and forced with no policy: read or written directly, it shows
 * nothing to anyone, so every access goes through the parent and its tenant policy.
 */
async function sealPartition(client: pg.PoolClient, name: string): Promise<void> {
  await client.query(`alter table ${quote(name)} enable row level security`);
  await client.query(`alter table ${quote(name)} force row level security`);
}

export interface EnsurePartitionsOptions {
  /** Months after the current one to have partitions for (default 3). */
  ahead?: number;
  /** Months before the current one to create too, for back-dated rows (default 0). */
  behind?: number;
  /** The current time (tests). */
  now?: Date;
}

/**
 * Creates the monthly partitions from `behind` months ago (or from the newest existing partition, if
 * months were missed) to `ahead` months after the current month, skipping those that exist: idempotent, and safe when every replica runs it at once (an advisory lock
 * per table serialises them). Rows that landed in the default partition for a month being created
 * (a partition was missing when they were written) are moved into it in the same transaction, because
 * PostgreSQL refuses to create a partition whose rows sit in the default one. Returns the names created.
 */
export async function ensurePartitions(
  pool: pg.Pool,
  spec: PartitionedTable,
  options: EnsurePartitionsOptions = {},
): Promise<string[]> {
  const { table, column } = checked(spec);
  const now = options.now ?? new Date();
  const ahead = options.ahead ?? 3;
  const behind = options.behind ?? 0;
  return inMaintenance(pool, spec, async (client) => {
    const partitions = await listPartitions(client, spec);
    const existing = new Set(partitions.map((partition) => partition.name));
    // Months missed since the newest partition (no run for a while) are filled in, so coverage has no gap.
    const newest = partitions[partitions.length - 1];
    const monthsSinceNewest = newest
      ? (now.getUTCFullYear() - newest.to.getUTCFullYear()) * 12 + now.getUTCMonth() - newest.to.getUTCMonth()
      : 0;
    const first = -Math.max(behind, monthsSinceNewest);
    const defaultName = defaultPartitionName(table);
    const { rowCount: hasDefault } = await client.query(
      `select 1 from pg_inherits join pg_class on pg_class.oid = inhrelid
        where inhparent = $1::regclass and relname = $2`,
      [table, defaultName],
    );
    if (hasDefault) await sealPartition(client, defaultName);
    const created: string[] = [];
    for (let offset = first; offset <= ahead; offset += 1) {
      const from = monthStart(now, offset);
      const to = monthStart(now, offset + 1);
      const name = partitionName(table, from);
      if (existing.has(name)) continue;
      const bounds = `for values from ('${from.toISOString()}') to ('${to.toISOString()}')`;
      let stray = 0;
      if (hasDefault) {
        // The default partition is sealed like every partition; as its owner we unseal it for this
        // transaction only (ALTER TABLE holds an exclusive lock on it until commit, so no one sees it open).
        await client.query(`alter table ${quote(defaultName)} no force row level security`);
        const moved = await client.query(
          `select count(*)::int as n from ${quote(defaultName)} where ${quote(column)} >= $1 and ${quote(column)} < $2`,
          [from, to],
        );
        stray = (moved.rows[0] as { n: number }).n;
        if (stray === 0) await client.query(`alter table ${quote(defaultName)} force row level security`);
      }
      if (stray > 0) {
        await client.query(
          `create table ${quote(name)} (like ${quote(table)} including defaults including constraints)`,
        );
        await client.query(
          `with moved as (delete from ${quote(defaultName)} where ${quote(column)} >= $1 and ${quote(column)} < $2 returning *)
           insert into ${quote(name)} select * from moved`,
          [from, to],
        );
        await client.query(`alter table ${quote(defaultName)} force row level security`);
        await client.query(`alter table ${quote(table)} attach partition ${quote(name)} ${bounds}`);
      } else {
        await client.query(`create table ${quote(name)} partition of ${quote(table)} ${bounds}`);
      }
      await sealPartition(client, name);
      created.push(name);
    }
    return created;
  });
}

/**
 * The platform-wide expiry: drops every monthly partition that lies entirely before `before`, for all
 * tenants at once. Call it only with a `before` older than every tenant's retention for the data (now
 * minus the platform's maximum retention): partitions are shared by every tenant in a pooled database, so
 * a single tenant's retention never drops one (see `purgeBefore`). The partition holding `before`
 * (the edge) and the default partition are left to the per-tenant deletes. Returns the names dropped.
 */
export async function dropExpired(pool: pg.Pool, spec: PartitionedTable, before: Date): Promise<string[]> {
  return inMaintenance(pool, spec, async (client) => {
    const expired = (await listPartitions(client, spec)).filter(
      (partition) => partition.to.getTime() <= before.getTime(),
    );
    for (const partition of expired) {
      await client.query(`alter table ${quote(spec.table)} detach partition ${quote(partition.name)}`);
      await client.query(`drop table ${quote(partition.name)}`);
    }
    return expired.map((partition) => partition.name);
  });
}

export interface PurgeBeforeOptions {
  /** Adds `tenant_id = <tenant>` to the delete, besides row-level security (helps the planner use an index). */
  tenantId?: string;
  /** The tenant column, when it is not `tenant_id`. */
  tenantColumn?: string;
}

/**
 * A tenant's retention purge (a participant's `purge(category, before)`): deletes the tenant's rows older
 * than `before`, in the transaction the kit gives the participant, where row-level security limits it to
 * that tenant. It never drops a partition, because other tenants' rows share every partition; PostgreSQL
 * prunes the delete to the partitions that can hold such rows, and after `dropExpired` has removed the
 * months older than the platform's longest retention those are only the few between that and this
 * tenant's own retention. Returns how many rows were deleted.
 */
export async function purgeBefore(
  tx: Transaction,
  spec: PartitionedTable,
  before: Date,
  options: PurgeBeforeOptions = {},
): Promise<number> {
  const { table, column } = checked(spec);
  const tenantColumn = options.tenantColumn ?? 'tenant_id';
  if (!identifier.test(tenantColumn)) throw new Error(`unsafe identifier ${JSON.stringify(tenantColumn)}`);
  const tenant = options.tenantId ? sql` and ${sql.identifier(tenantColumn)} = ${options.tenantId}` : sql``;
  const result = await tx.execute(
    sql`delete from ${sql.identifier(table)} where ${sql.identifier(column)} < ${before.toISOString()}::timestamptz${tenant}`,
  );
  return result.rowCount ?? 0;
}
