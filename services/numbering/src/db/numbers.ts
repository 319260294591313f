import { desc } from 'drizzle-orm';
import { olderThan, toPage, withTenant, type Cursor, type Database } from '@parley/kit';
import { numbers, type NumberRow } from './schema';

export class NumberRepository {
  constructor(private readonly db: Database) {}

  /** One page of the tenant's numbers, newest first. */
  async list(tenantId: string, size: number, after: Cursor | undefined) {
    const rows = await withTenant(this.db, tenantId, (tx) =>
      tx
        .select()
        .from(numbers)
        .where(olderThan(numbers.assignedAt, numbers.id, after))
        .orderBy(desc(numbers.assignedAt), desc(numbers.id))
        .limit(size + 1),
    );
    return toPage<NumberRow>(rows, size, (row) => ({ at: row.assignedAt, id: row.id }));
  }
}
