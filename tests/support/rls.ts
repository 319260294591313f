import { expect } from '@jest/globals';
import { sql, type SQL } from 'drizzle-orm';
import { withTenant, type Database } from '@parley/kit';

/**
 * Every table in the service's database that has a tenant_id column must have row-level security
 * enabled and forced, and the service's role must not be able to bypass it. Returns the tables found.
 */
export async function expectEveryTenantTableWalled(db: Database): Promise<string[]> {
  const role = await db.execute<{ rolsuper: boolean; rolbypassrls: boolean }>(
    sql`select rolsuper, rolbypassrls from pg_roles where rolname = current_user`,
  );
  expect(role.rows[0]).toEqual({ rolsuper: false, rolbypassrls: false });
  const tables = await db.execute<{ table: string; enabled: boolean; forced: boolean; policies: number }>(sql`
    select c.relname as table, c.relrowsecurity as enabled, c.relforcerowsecurity as forced,
           (select count(*)::int from pg_policy p where p.polrelid = c.oid) as policies
      from pg_class c
      join pg_namespace n on n.oid = c.relnamespace
      join pg_attribute a on a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped
     where n.nspname = 'public' and c.relkind in ('r', 'p') and c.relname not like 'kit\\_%'
       -- A partition is sealed (row-level security on, no policy): reached only through its parent.
       and not c.relispartition
       and c.relname not in ('api_key_lookup', 'twilio_account_lookup', 'archive_links')
     order by c.relname`);
  for (const table of tables.rows) {
    expect({
      table: table.table,
      enabled: table.enabled,
      forced: table.forced,
      hasPolicy: table.policies > 0,
    }).toEqual({
      table: table.table,
      enabled: true,
      forced: true,
      hasPolicy: true,
    });
  }
  return tables.rows.map((row) => row.table);
}

/**
 * Proves the wall on one table with hand-written SQL: rows written for tenants a and b; without a tenant
 * nothing is visible; as a, b's rows can be neither read, changed, deleted, nor written in b's name.
 */
export async function expectTenantWall(
  db: Database,
  options: { table: string; insert: (tenantId: string) => SQL; tenants?: [string, string] },
): Promise<void> {
  const [a, b] = options.tenants ?? ['wall-a', 'wall-b'];
  const table = sql.identifier(options.table);
  await withTenant(db, a, (tx) => tx.execute(options.insert(a)));
  await withTenant(db, b, (tx) => tx.execute(options.insert(b)));

  const count = (rows: { rows: { n: number }[] }) => rows.rows[0]?.n;
  expect(count(await db.execute<{ n: number }>(sql`select count(*)::int as n from ${table}`))).toBe(0);

  await withTenant(db, a, async (tx) => {
    expect(
      count(
        await tx.execute<{ n: number }>(sql`select count(*)::int as n from ${table} where tenant_id = ${b}`),
      ),
    ).toBe(0);
    expect(
      count(await tx.execute<{ n: number }>(sql`select count(*)::int as n from ${table}`)),
    ).toBeGreaterThan(0);
    const updated = await tx.execute(sql`update ${table} set tenant_id = ${a} where tenant_id = ${b}`);
    expect(updated.rowCount).toBe(0);
    const deleted = await tx.execute(sql`delete from ${table} where tenant_id = ${b}`);
    expect(deleted.rowCount).toBe(0);
  });
  const refused = await withTenant(db, a, (tx) => tx.execute(options.insert(b))).then(
    () => 'written',
    (error: Error & { cause?: Error }) => error.cause?.message ?? error.message,
  );
  expect(refused).toMatch(/row-level security/);
  await withTenant(db, b, async (tx) => {
    expect(
      count(
        await tx.execute<{ n: number }>(sql`select count(*)::int as n from ${table} where tenant_id = ${b}`),
      ),
    ).toBeGreaterThan(0);
  });
}
