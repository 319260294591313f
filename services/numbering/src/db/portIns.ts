import { desc, eq } from 'drizzle-orm';
import { olderThan, toPage, withTenant, type Cursor, type Database, type Transaction } from '@parley/kit';
import { portIns, type PortInRow } from './schema';
import { isUuid } from './numbers';

export class PortInRepository {
  constructor(private readonly db: Database) {}

  async find(tx: Transaction, id: string, forUpdate = false): Promise<PortInRow | undefined> {
    if (!isUuid(id)) return undefined;
    const query = tx.select().from(portIns).where(eq(portIns.id, id));
    const [row] = forUpdate ? await query.for('update') : await query;
    return row;
  }

  async insert(tx: Transaction, values: typeof portIns.$inferInsert): Promise<PortInRow> {
    const [row] = await tx.insert(portIns).values(values).returning();
    return row!;
  }

  async update(
    tx: Transaction,
    id: string,
    values: Partial<typeof portIns.$inferInsert>,
  ): Promise<PortInRow> {
    const [row] = await tx
      .update(portIns)
      .set({ ...values, updatedAt: new Date() })
      .where(eq(portIns.id, id))
      .returning();
    return row!;
  }

  async list(tenantId: string, size: number, after: Cursor | undefined) {
    const rows = await withTenant(this.db, tenantId, (tx) =>
      tx
        .select()
        .from(portIns)
        .where(olderThan(portIns.createdAt, portIns.id, after))
        .orderBy(desc(portIns.createdAt), desc(portIns.id))
        .limit(size + 1),
    );
    return toPage<PortInRow>(rows, size, (row) => ({ at: row.createdAt, id: row.id }));
  }
}
