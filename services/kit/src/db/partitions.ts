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
  /** Its primary key's columns: needed by `purgeBefore`'s `batch`, which deletes a bounded number of rows. */
  key?: readonly string[];
}

const identifier = /^[a-z_][a-z0-9_]{0,47}$/;

function checked(spec: PartitionedTable): PartitionedTable {
  for (const name of [spec.table, spec.column, ...(spec.key ?? [])]) {
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

const advisoryKey = (spec: PartitionedTable) => `kit_partitions:${spec.table}`;

/** Throws unless `spec.table` exists, range-partitioned on `spec.column`. */
async function assertPartitioned(client: pg.PoolClient, spec: PartitionedTable): Promise<void> {
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
}

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
    await client.query('select pg_advisory_xact_lock(hashtext($1))', [advisoryKey(spec)]);
    await assertPartitioned(client, spec);
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

export interface DropExpiredOptions {
  /**
   * How long a detach first waits for the parent table's lock (ms, default 20). While it waits, every insert
   * into the table queues behind it, so it gives way quickly and tries again rather than stall the writers.
   */
  lockTimeoutMs?: number;
  /**
   * The longest wait it may grow to (ms, default 50): the wait doubles every 5 attempts that found the table
   * busy, for a table whose writers' transactions rarely all end within the first (a saturated machine).
   */
  maxLockTimeoutMs?: number;
  /** Attempts at one partition's detach before the run gives up (its job retries later); default 100. */
  attempts?: number;
  /** The pause after the first failed attempt (ms, default 50); it doubles, up to 2 s, with jitter. */
  retryDelayMs?: number;
}

/** PostgreSQL's lock_not_available: a lock was not granted within lock_timeout. */
const LOCK_NOT_AVAILABLE = '55P03';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const expiredMonth = (name: string, table: string, before: Date): boolean => {
  const match = new RegExp(`^${table}_p(\\d{4})(\\d{2})$`).exec(name);
  if (!match) return false;
  return monthStart(new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, 1)), 1) <= before;
};

/**
 * The platform-wide expiry: drops every monthly partition that lies entirely before `before`, for all
 * tenants at once. Call it only with a `before` older than every tenant's retention for the data (now
 * minus the platform's maximum retention): partitions are shared by every tenant in a pooled database, so
 * a single tenant's retention never drops one (see `purgeBefore`). The partition holding `before`
 * (the edge) and the default partition are left to the per-tenant deletes. Returns the names dropped.
 *
 * Writers are never held up for long (see PARTITIONS.md, "Locks"): each partition is detached in a
 * transaction of its own, then dropped in another (the drop locks only the detached table). A table with a
 * default partition must be detached with ACCESS EXCLUSIVE on the parent (PostgreSQL refuses DETACH
 * CONCURRENTLY there), which every insert queues behind: the detach first takes the partition's own lock
 * (nobody writes to an expired month), then waits at most `lockTimeoutMs` for the parent's, and on timeout
 * gives way and tries again after a pause. A table without one is detached CONCURRENTLY, which never blocks
 * writers. A run that died part way is finished by the next: a detach left pending (between DETACH
 * CONCURRENTLY's two transactions) is finalised, and an expired month detached but not dropped is dropped.
 * Nothing that is not expired is touched.
 */
export async function dropExpired(
  pool: pg.Pool,
  spec: PartitionedTable,
  before: Date,
  options: DropExpiredOptions = {},
): Promise<string[]> {
  const { table } = checked(spec);
  const lockTimeoutMs = Math.max(1, Math.round(options.lockTimeoutMs ?? 20));
  const maxLockTimeoutMs = Math.max(lockTimeoutMs, Math.round(options.maxLockTimeoutMs ?? 50));
  const attempts = Math.max(1, options.attempts ?? 100);
  const retryDelayMs = options.retryDelayMs ?? 50;
  const client = await pool.connect();
  // Set when the connection itself failed (an error without a PostgreSQL code): it is not given back.
  let broken: Error | undefined;
  try {
    await client.query(`set lock_timeout = '${LOCK_TIMEOUT}'`);
    // One maintainer per table at a time across every replica (ensurePartitions takes the same lock); a
    // session lock, as the work is several transactions; it ends with the connection if the process dies.
    await client.query('select pg_advisory_lock(hashtext($1))', [advisoryKey(spec)]);
    try {
      await assertPartitioned(client, spec);
      const { rows: children } = await client.query<{ name: string; pending: boolean; isDefault: boolean }>(
        `select child.relname as name, inhdetachpending as pending,
                pg_get_expr(child.relpartbound, child.oid) = 'DEFAULT' as "isDefault"
           from pg_inherits join pg_class child on child.oid = inhrelid
          where inhparent = $1::regclass`,
        [table],
      );
      const hasDefault = children.some((child) => child.isDefault);
      const expired = children.filter((child) => expiredMonth(child.name, table, before));
      // A previous run stopped between DETACH CONCURRENTLY's two transactions: finish it (no lock writers wait for).
      for (const child of expired.filter((entry) => entry.pending))
        await client.query(`alter table ${quote(table)} detach partition ${quote(child.name)} finalize`);
      for (const child of expired.filter((entry) => !entry.pending)) {
        if (hasDefault)
          await detachGivingWay(client, table, child.name, {
            lockTimeoutMs,
            maxLockTimeoutMs,
            attempts,
            retryDelayMs,
          });
        else
          await client.query(
            `alter table ${quote(table)} detach partition ${quote(child.name)} concurrently`,
          );
      }
      // Every expired month now detached, by this run or by one that died before dropping it: drop them.
      const { rows: detached } = await client.query<{ name: string }>(
        `select relname as name from pg_class
          where relnamespace = to_regnamespace(current_schema()) and relkind = 'r' and relname like $1
            and not exists (select 1 from pg_inherits where inhrelid = pg_class.oid)
          order by relname`,
        [`${table}\\_p%`],
      );
      const dropped: string[] = [];
      for (const { name } of detached.filter((entry) => expiredMonth(entry.name, table, before))) {
        await client.query(`drop table ${quote(name)}`);
        dropped.push(name);
      }
      return dropped;
    } finally {
      await client.query('select pg_advisory_unlock(hashtext($1))', [advisoryKey(spec)]);
    }
  } catch (error) {
    if (!(error as { code?: string }).code) broken = error as Error;
    throw error;
  } finally {
    // A statement that failed outside a transaction leaves the session usable: only what was set is reset.
    if (!broken) await client.query('reset lock_timeout').catch((error: Error) => (broken = error));
    client.release(broken);
  }
}

/**
 * Detaches one partition of a table that has a default partition (ACCESS EXCLUSIVE on the parent), in a
 * transaction of its own: the partition's own lock first, then at most `lockTimeoutMs` waiting for the
 * parent's (doubling every 5 attempts up to `maxLockTimeoutMs`); on timeout it rolls back, so the inserts
 * queued behind it go on, and tries again after a pause.
 */
async function detachGivingWay(
  client: pg.PoolClient,
  table: string,
  partition: string,
  retry: { lockTimeoutMs: number; maxLockTimeoutMs: number; attempts: number; retryDelayMs: number },
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const wait = Math.min(retry.maxLockTimeoutMs, retry.lockTimeoutMs * 2 ** Math.floor((attempt - 1) / 5));
    try {
      await client.query('begin');
      // Nobody writes an expired month; waiting here holds up only readers of it. Long enough for an
      // autovacuum of it to be cancelled for us (after deadlock_timeout).
      await client.query(`set local lock_timeout = '${LOCK_TIMEOUT}'`);
      await client.query(`lock table ${quote(partition)} in access exclusive mode`);
      await client.query(`set local lock_timeout = '${wait}ms'`);
      await client.query(`alter table ${quote(table)} detach partition ${quote(partition)}`);
      await client.query('commit');
      return;
    } catch (error) {
      await client.query('rollback').catch(() => undefined);
      if ((error as { code?: string }).code !== LOCK_NOT_AVAILABLE || attempt >= retry.attempts) throw error;
      const delay = Math.min(2000, retry.retryDelayMs * 2 ** (attempt - 1));
      await pause(delay / 2 + Math.random() * (delay / 2));
    }
  }
}

export interface PurgeBeforeOptions {
  /** Adds `tenant_id = <tenant>` to the delete, besides row-level security (helps the planner use an index). */
  tenantId?: string;
  /** The tenant column, when it is not `tenant_id`. */
  tenantColumn?: string;
  /**
   * Deletes at most this many rows (the table's `key` must be given): a caller that deletes millions of rows
   * calls it in a loop, a transaction per batch, until fewer come back, so no transaction holds its rows'
   * locks or a snapshot for long (a long one would keep `dropExpired` waiting, and vacuum from cleaning up).
   */
  batch?: number;
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
  const { table, column, key } = checked(spec);
  const tenantColumn = options.tenantColumn ?? 'tenant_id';
  if (!identifier.test(tenantColumn)) throw new Error(`unsafe identifier ${JSON.stringify(tenantColumn)}`);
  const tenant = options.tenantId ? sql` and ${sql.identifier(tenantColumn)} = ${options.tenantId}` : sql``;
  const expired = sql`${sql.identifier(column)} < ${before.toISOString()}::timestamptz${tenant}`;
  if (options.batch === undefined) {
    const result = await tx.execute(sql`delete from ${sql.identifier(table)} where ${expired}`);
    return result.rowCount ?? 0;
  }
  if (!key?.length) throw new Error(`purgeBefore: a batch needs the key of ${table}`);
  if (!Number.isInteger(options.batch) || options.batch < 1)
    throw new Error('purgeBefore: batch must be a positive whole number');
  const columns = sql.join(
    key.map((name) => sql.identifier(name)),
    sql`, `,
  );
  const result = await tx.execute(
    sql`delete from ${sql.identifier(table)} where (${columns}) in (
          select ${columns} from ${sql.identifier(table)} where ${expired} limit ${sql.raw(String(options.batch))})`,
  );
  return result.rowCount ?? 0;
}
