import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'drizzle-orm';
import {
  createDatabase,
  createPool,
  dropExpired,
  ensurePartitions,
  listPartitions,
  purgeBefore,
  withTenant,
  type Database,
  type PartitionedTable,
} from '@parley/kit';
import pg from 'pg';
import { eventually } from '../../../../tests/support/grpc';
import { createTestDatabase, type TestDatabase } from '../../../../tests/support/infra';

const usage: PartitionedTable = { table: 'usage_records', column: 'recorded_at' };
const now = new Date('2026-03-15T12:00:00Z');

/** The migration a service would write for a partitioned table (the convention in PARTITIONS.md). */
const parentSql = `
  create table usage_records (
    tenant_id text not null,
    id bigint not null,
    recorded_at timestamptz not null,
    segments integer not null,
    primary key (tenant_id, recorded_at, id)
  ) partition by range (recorded_at);
  create table usage_records_default partition of usage_records default;
  alter table usage_records enable row level security;
  alter table usage_records force row level security;
  create policy tenant_isolation on usage_records
    using (tenant_id = current_setting('app.tenant_id', true))
    with check (tenant_id = current_setting('app.tenant_id', true));
`;

/** The database's own message (drizzle wraps it as the cause of "Failed query"). */
async function failure(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught as Error & { cause?: Error },
  );
  if (!error) throw new Error('expected the query to fail');
  return error.cause?.message ?? error.message;
}

describe('kit monthly partitions', () => {
  let database: TestDatabase;
  let pool: pg.Pool;
  let otherPool: pg.Pool;
  let db: Database;
  let nextId = 1;

  async function insert(tenantId: string, at: string): Promise<void> {
    const id = nextId++;
    await withTenant(db, tenantId, (tx) =>
      tx.execute(
        sql`insert into usage_records (tenant_id, id, recorded_at, segments) values (${tenantId}, ${id}, ${at}::timestamptz, 1)`,
      ),
    );
  }

  /** The tenant's rows as it sees them through the parent, each with the partition that holds it. */
  async function rowsOf(tenantId: string): Promise<{ at: string; partition: string; tenant: string }[]> {
    return withTenant(db, tenantId, async (tx) => {
      const result = await tx.execute<{ at: string; partition: string; tenant: string }>(
        sql`select to_char(recorded_at at time zone 'UTC', 'YYYY-MM-DD') as at, tableoid::regclass::text as partition,
                   tenant_id as tenant
              from usage_records order by recorded_at`,
      );
      return result.rows;
    });
  }

  beforeAll(async () => {
    database = await createTestDatabase('partitions');
    pool = createPool(database.url, 4);
    otherPool = createPool(database.url, 2);
    db = createDatabase(pool);
    await pool.query(parentSql);
  });

  afterAll(async () => {
    await pool.end();
    await otherPool.end();
    await database.drop();
  });

  it('creates the months ahead once, even when two replicas run it at the same moment', async () => {
    const [first, second] = await Promise.all([
      ensurePartitions(pool, usage, { now, ahead: 2, behind: 3 }),
      ensurePartitions(otherPool, usage, { now, ahead: 2, behind: 3 }),
    ]);
    const months = [
      'usage_records_p202512',
      'usage_records_p202601',
      'usage_records_p202602',
      'usage_records_p202603',
      'usage_records_p202604',
      'usage_records_p202605',
    ];
    // The advisory lock made one call create them all and the other find them there.
    expect([first, second].sort((a, b) => a.length - b.length)).toEqual([[], months]);
    expect((await listPartitions(pool, usage)).map((partition) => partition.name)).toEqual(months);
    expect(await ensurePartitions(pool, usage, { now, ahead: 2, behind: 3 })).toEqual([]);
    const { rows } = await pool.query<{ name: string; enabled: boolean; forced: boolean }>(
      `select relname as name, relrowsecurity as enabled, relforcerowsecurity as forced from pg_class
        where relname like 'usage_records_%' and relkind = 'r' order by relname`,
    );
    expect(rows).toHaveLength(7);
    expect(rows.every((row) => row.enabled && row.forced)).toBe(true);
  });

  it('routes rows to their month, and a row outside every month to the default partition', async () => {
    await insert('acme', '2025-12-31T23:59:59.999Z');
    await insert('acme', '2026-01-01T00:00:00Z');
    await insert('acme', '2026-02-20T10:00:00Z');
    await insert('acme', '2026-03-01T00:00:00Z');
    await insert('globex', '2025-12-05T00:00:00Z');
    await insert('globex', '2026-01-15T00:00:00Z');
    await insert('globex', '2026-02-10T00:00:00Z');
    await insert('globex', '2026-03-02T00:00:00Z');
    await insert('globex', '2026-09-09T00:00:00Z'); // no partition yet: default
    expect(await rowsOf('acme')).toEqual([
      { at: '2025-12-31', partition: 'usage_records_p202512', tenant: 'acme' },
      { at: '2026-01-01', partition: 'usage_records_p202601', tenant: 'acme' },
      { at: '2026-02-20', partition: 'usage_records_p202602', tenant: 'acme' },
      { at: '2026-03-01', partition: 'usage_records_p202603', tenant: 'acme' },
    ]);
    expect((await rowsOf('globex')).map((row) => row.partition)).toEqual([
      'usage_records_p202512',
      'usage_records_p202601',
      'usage_records_p202602',
      'usage_records_p202603',
      'usage_records_default',
    ]);
  });

  it('applies the parent tenant policy to every partition, and shows nothing to direct partition access', async () => {
    // Through the parent, each tenant sees only its own rows (asserted above); no tenant set: nothing.
    const { rows: untenanted } = await pool.query('select count(*)::int as n from usage_records');
    expect(untenanted[0]).toEqual({ n: 0 });
    // A partition read directly (bypassing the parent's policy) is sealed: no rows, even for its tenant.
    const direct = await withTenant(db, 'acme', (tx) =>
      tx.execute<{ n: number }>(sql`select count(*)::int as n from usage_records_p202601`),
    );
    expect(direct.rows[0]).toEqual({ n: 0 });
    expect(
      await failure(
        withTenant(db, 'acme', (tx) =>
          tx.execute(
            sql`insert into usage_records_p202601 (tenant_id, id, recorded_at, segments) values ('acme', 999, '2026-01-02', 1)`,
          ),
        ),
      ),
    ).toMatch(/row-level security/);
    // Writing another tenant's row through the parent is refused by the parent's policy.
    expect(
      await failure(
        withTenant(db, 'acme', (tx) =>
          tx.execute(
            sql`insert into usage_records (tenant_id, id, recorded_at, segments) values ('globex', 998, '2026-01-02', 1)`,
          ),
        ),
      ),
    ).toMatch(/row-level security/);
  });

  it('moves rows out of the default partition when their month is created later', async () => {
    // Months were missed (no run since May): the gap is filled too, and September's stray row moves in.
    const created = await ensurePartitions(pool, usage, { now: new Date('2026-07-20T00:00:00Z'), ahead: 2 });
    expect(created).toEqual([
      'usage_records_p202606',
      'usage_records_p202607',
      'usage_records_p202608',
      'usage_records_p202609',
    ]);
    const globex = await rowsOf('globex');
    expect(globex[globex.length - 1]).toEqual({
      at: '2026-09-09',
      partition: 'usage_records_p202609',
      tenant: 'globex',
    });
    // The default partition is sealed again afterwards.
    const { rows } = await pool.query<{ forced: boolean }>(
      `select relforcerowsecurity as forced from pg_class where relname = 'usage_records_default'`,
    );
    expect(rows[0]).toEqual({ forced: true });
  });

  it("deletes only the purging tenant's rows, leaving the other tenant's in the same partitions", async () => {
    const deleted = await withTenant(db, 'acme', (tx) =>
      purgeBefore(tx, usage, new Date('2026-02-01T00:00:00Z'), { tenantId: 'acme' }),
    );
    expect(deleted).toBe(2);
    expect((await rowsOf('acme')).map((row) => row.at)).toEqual(['2026-02-20', '2026-03-01']);
    expect((await rowsOf('globex')).map((row) => row.at)).toEqual([
      '2025-12-05',
      '2026-01-15',
      '2026-02-10',
      '2026-03-02',
      '2026-09-09',
    ]);
    // Relying on row-level security alone (no explicit tenant) is just as scoped.
    const second = await withTenant(db, 'globex', (tx) =>
      purgeBefore(tx, usage, new Date('2026-01-01T00:00:00Z')),
    );
    expect(second).toBe(1);
    expect((await rowsOf('acme')).length).toBe(2);
  });

  it('drops whole partitions older than the platform-wide expiry and leaves the edge month to deletes', async () => {
    const dropped = await dropExpired(pool, usage, new Date('2026-02-10T12:00:00Z'));
    expect(dropped).toEqual(['usage_records_p202512', 'usage_records_p202601']);
    const names = (await listPartitions(pool, usage)).map((partition) => partition.name);
    expect(names[0]).toBe('usage_records_p202602');
    expect((await rowsOf('globex')).map((row) => row.at)).toEqual(['2026-02-10', '2026-03-02', '2026-09-09']);
    // The edge month (February) keeps rows on both sides of the cut; a tenant's delete handles them.
    expect((await rowsOf('acme')).map((row) => row.at)).toEqual(['2026-02-20', '2026-03-01']);
    const edge = await withTenant(db, 'globex', (tx) =>
      purgeBefore(tx, usage, new Date('2026-02-15T00:00:00Z')),
    );
    expect(edge).toBe(1);
    expect(await dropExpired(pool, usage, new Date('2026-02-10T12:00:00Z'))).toEqual([]);
  });

  /** A table of `id`s by month (January to April 2026), with or without a default partition, and rows. */
  async function monthly(table: string, withDefault: boolean): Promise<PartitionedTable> {
    await pool.query(
      `create table ${table} (id int not null, at timestamptz not null, primary key (at, id)) partition by range (at)`,
    );
    if (withDefault) await pool.query(`create table ${table}_default partition of ${table} default`);
    const spec = { table, column: 'at' };
    await ensurePartitions(pool, spec, { now, behind: 2, ahead: 1 });
    await pool.query(
      `insert into ${table} select i, timestamptz '2026-01-01' + i * interval '1 hour' from generate_series(0, 2399) i`,
    );
    return spec;
  }

  /** What is left: months attached, tables named like months, and the rows of each month. */
  async function leftOf(spec: PartitionedTable) {
    const { rows: tables } = await pool.query<{ name: string }>(
      `select relname as name from pg_class where relname like $1 and relkind = 'r' order by 1`,
      [`${spec.table}_p%`],
    );
    const { rows } = await pool.query<{ month: string; n: number }>(
      `select to_char(at at time zone 'UTC', 'YYYY-MM') as month, count(*)::int as n from ${spec.table} group by 1 order by 1`,
    );
    return {
      attached: (await listPartitions(pool, spec)).map((partition) => partition.name),
      tables: tables.map((table) => table.name),
      rows: Object.fromEntries(rows.map((row) => [row.month, row.n])),
    };
  }

  it('gives way to writers while a long transaction holds the table, and detaches once it ends', async () => {
    const events = await monthly('events', true);
    // A long transaction writing to the table: the detach cannot have its lock until it ends.
    const holder = await otherPool.connect();
    try {
      await holder.query('begin');
      await holder.query(`insert into events values (-1, '2026-03-20')`);
      const settled: string[] = [];
      const dropping = dropExpired(pool, events, new Date('2026-02-01T00:00:00Z'), {
        lockTimeoutMs: 20,
        attempts: 10_000,
        retryDelayMs: 10,
      }).then((dropped) => {
        settled.push('dropped');
        return dropped;
      });
      await eventually('the detach to be trying', async () => {
        // Its statement waiting for the table, or the month's own lock it takes first.
        const { rows } = await pool.query(
          `select 1 from pg_stat_activity where state = 'active' and query like 'alter table "events" detach%'
           union all
           select 1 from pg_locks where relation = 'events_p202601'::regclass and mode = 'AccessExclusiveLock'`,
        );
        if (rows.length === 0) throw new Error('not yet');
      });
      // Another writer gets through between the detach's attempts instead of queueing behind it.
      await pool.query(`insert into events values (-2, '2026-03-21')`);
      settled.push('inserted');
      await pool.query(`insert into events values (-3, '2026-01-21')`);
      settled.push('inserted into an expired month');
      expect(settled).toEqual(['inserted', 'inserted into an expired month']);
      await holder.query('commit');
      expect(await dropping).toEqual(['events_p202601']);
      expect(await leftOf(events)).toEqual({
        attached: ['events_p202602', 'events_p202603', 'events_p202604'],
        tables: ['events_p202602', 'events_p202603', 'events_p202604'],
        rows: { '2026-02': 672, '2026-03': 744 + 2, '2026-04': 240 },
      });
      // The edge month's rows go in batches, a transaction each, until fewer than a batch come back.
      const batches: number[] = [];
      for (let count = -1; count !== 0;) {
        count = await db.transaction((tx) =>
          purgeBefore(tx, { ...events, key: ['at', 'id'] }, new Date('2026-03-01T00:00:00Z'), { batch: 500 }),
        );
        batches.push(count);
      }
      expect(batches).toEqual([500, 172, 0]);
      expect((await leftOf(events)).rows).toEqual({ '2026-03': 746, '2026-04': 240 });
      await expect(
        db.transaction((tx) => purgeBefore(tx, events, new Date('2026-03-01T00:00:00Z'), { batch: 500 })),
      ).rejects.toThrow(/a batch needs the key of events/);
    } finally {
      holder.release();
    }
  });

  it('finishes a DETACH CONCURRENTLY cut between its two transactions, and drops a month detached but not dropped', async () => {
    // Without a default partition, months are detached CONCURRENTLY (no lock that writers wait for).
    const ledger = await monthly('ledger', false);
    // A reader keeps its snapshot: DETACH CONCURRENTLY commits its first transaction, then waits for it.
    const reader = await otherPool.connect();
    // The dying process's own connection (its error on termination is expected).
    const detacher = new pg.Client({ connectionString: database.url });
    detacher.on('error', () => undefined);
    await detacher.connect();
    try {
      await reader.query('begin isolation level repeatable read');
      await reader.query('select count(*) from ledger');
      const { rows: pid } = await detacher.query<{ pid: number }>('select pg_backend_pid() as pid');
      const cut = detacher
        .query('alter table ledger detach partition ledger_p202601 concurrently')
        .catch((error: Error) => error);
      await eventually('the first transaction to commit', async () => {
        const { rows } = await pool.query(
          `select 1 from pg_inherits where inhrelid = 'ledger_p202601'::regclass and inhdetachpending`,
        );
        if (rows.length === 0) throw new Error('not yet');
      });
      // The process doing it dies (its session ends) before the second transaction.
      await pool.query('select pg_terminate_backend($1)', [pid[0]!.pid]);
      expect(await cut).toBeInstanceOf(Error);
      await reader.query('commit');
    } finally {
      reader.release();
      await detacher.end().catch(() => undefined);
    }
    // And a month detached by a run that died before dropping it, beside one detached by hand that is kept.
    await pool.query('alter table ledger detach partition ledger_p202602');
    await pool.query('alter table ledger detach partition ledger_p202604');
    expect(await dropExpired(pool, ledger, new Date('2026-03-01T00:00:00Z'))).toEqual([
      'ledger_p202601',
      'ledger_p202602',
    ]);
    expect(await leftOf(ledger)).toEqual({
      attached: ['ledger_p202603'],
      tables: ['ledger_p202603', 'ledger_p202604'],
      rows: { '2026-03': 744 },
    });
    // Its rows are all there (read directly: it is sealed like every partition, so unsealed first).
    await pool.query('alter table ledger_p202604 no force row level security');
    const { rows } = await pool.query<{ n: number }>('select count(*)::int as n from ledger_p202604');
    expect(rows[0]).toEqual({ n: 240 });
  });

  it('refuses a table that is not range-partitioned on the given column', async () => {
    await pool.query('create table plain (recorded_at timestamptz)');
    await expect(ensurePartitions(pool, { table: 'plain', column: 'recorded_at' })).rejects.toThrow(
      /must be partitioned by range \(recorded_at\)/,
    );
    await expect(ensurePartitions(pool, { table: 'usage_records', column: 'segments' })).rejects.toThrow(
      /partitioned by range \(segments\)/,
    );
    await expect(ensurePartitions(pool, { table: 'drop table x; --', column: 'a' })).rejects.toThrow(
      /unsafe identifier/,
    );
  });
});
