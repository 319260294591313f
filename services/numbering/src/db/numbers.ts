import { and, desc, eq, sql, type SQL } from 'drizzle-orm';
import { olderThan, toPage, withTenant, type Cursor, type Database, type Transaction } from '@parley/kit';
import { numberDirectory, numbers, type NumberRow } from './schema';

export interface NumberFilters {
  capability?: string;
  status?: string;
  country?: string;
  accountId?: string;
}

/** A number's holder across tenants, as the directory says. */
export type DirectoryEntry = typeof numberDirectory.$inferSelect;

/** The tenant's numbers, and the cross-tenant directory of who holds which number. */
export class NumberRepository {
  constructor(private readonly db: Database) {}

  /** One page of the tenant's numbers, newest first. Released numbers are history and not listed. */
  async list(tenantId: string, size: number, after: Cursor | undefined, filters: NumberFilters = {}) {
    const conditions: (SQL | undefined)[] = [
      olderThan(numbers.assignedAt, numbers.id, after),
      sql`${numbers.status} <> 'released'`,
    ];
    if (filters.capability) conditions.push(sql`${filters.capability} = any(${numbers.capabilities})`);
    if (filters.status) conditions.push(eq(numbers.status, filters.status as NumberRow['status']));
    if (filters.country) conditions.push(eq(numbers.country, filters.country));
    if (filters.accountId) conditions.push(eq(numbers.accountId, filters.accountId));
    const rows = await withTenant(this.db, tenantId, (tx) =>
      tx
        .select()
        .from(numbers)
        .where(and(...conditions))
        .orderBy(desc(numbers.assignedAt), desc(numbers.id))
        .limit(size + 1),
    );
    return toPage<NumberRow>(rows, size, (row) => ({ at: row.assignedAt, id: row.id }));
  }

  async find(tx: Transaction, id: string, forUpdate = false): Promise<NumberRow | undefined> {
    if (!isUuid(id)) return undefined;
    const query = tx.select().from(numbers).where(eq(numbers.id, id));
    const [row] = forUpdate ? await query.for('update') : await query;
    return row;
  }

  /** The tenant's live (not released) row for a number. */
  async findLive(tx: Transaction, e164: string): Promise<NumberRow | undefined> {
    const [row] = await tx
      .select()
      .from(numbers)
      .where(and(eq(numbers.e164, e164), sql`${numbers.status} <> 'released'`));
    return row;
  }

  async activeOfAccount(tenantId: string, accountId: string): Promise<NumberRow[]> {
    return withTenant(this.db, tenantId, (tx) =>
      tx
        .select()
        .from(numbers)
        .where(and(eq(numbers.accountId, accountId), eq(numbers.status, 'active')))
        .orderBy(desc(numbers.assignedAt))
        .limit(1000),
    );
  }

  /** Who holds a number, whatever the tenant (the directory is readable by all). */
  async holder(tx: Transaction | Database, e164: string): Promise<DirectoryEntry | undefined> {
    const [row] = await tx.select().from(numberDirectory).where(eq(numberDirectory.e164, e164));
    return row;
  }

  /**
   * Claims a number for the tenant's order or port-in: a new directory entry, or the takeover of one whose
   * quarantine has ended (or the tenant's own quarantined number it may still reclaim). False when someone
   * else holds it; a concurrent claim waits for the first and then finds it held.
   */
  async claim(
    tx: Transaction,
    tenantId: string,
    e164: string,
    state: 'ordering' | 'porting',
  ): Promise<boolean> {
    const inserted = await tx.execute(sql`
      insert into number_directory (e164, tenant_id, state) values (${e164}, ${tenantId}, ${state})
      on conflict (e164) do nothing returning e164`);
    if (inserted.rows.length > 0) return true;
    const taken = await tx.execute(sql`
      update number_directory
         set tenant_id = ${tenantId}, state = ${state}, number_id = null, quarantine_until = null,
             reclaim_until = null, updated_at = now()
       where e164 = ${e164} and state = 'quarantined'
         and (quarantine_until <= now() or (tenant_id = ${tenantId} and reclaim_until > now()))
      returning e164`);
    return taken.rows.length > 0;
  }

  async setHolder(
    tx: Transaction,
    e164: string,
    values: Partial<Pick<DirectoryEntry, 'state' | 'numberId' | 'quarantineUntil' | 'reclaimUntil'>>,
  ): Promise<void> {
    await tx
      .update(numberDirectory)
      .set({ ...values, updatedAt: new Date() })
      .where(eq(numberDirectory.e164, e164));
  }

  /** Gives up the tenant's claim (a failed order, a cancelled port-in). */
  async unclaim(tx: Transaction, e164: string): Promise<void> {
    await tx
      .delete(numberDirectory)
      .where(and(eq(numberDirectory.e164, e164), sql`${numberDirectory.state} in ('ordering', 'porting')`));
  }

  async insert(tx: Transaction, values: typeof numbers.$inferInsert): Promise<NumberRow> {
    const [row] = await tx.insert(numbers).values(values).returning();
    return row!;
  }

  async update(
    tx: Transaction,
    id: string,
    values: Partial<typeof numbers.$inferInsert>,
  ): Promise<NumberRow> {
    const [row] = await tx
      .update(numbers)
      .set({ ...values, updatedAt: new Date() })
      .where(eq(numbers.id, id))
      .returning();
    return row!;
  }
}

export function isUuid(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}
