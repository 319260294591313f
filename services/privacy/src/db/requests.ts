import { desc } from 'drizzle-orm';
import { olderThan, toPage, withTenant, type Cursor, type Database } from '@parley/kit';
import { subjectRequests, type SubjectRequestRow } from './schema';

export class RequestRepository {
  constructor(private readonly db: Database) {}

  /** One page of the tenant's data-subject requests, newest first. */
  async list(tenantId: string, size: number, after: Cursor | undefined) {
    const rows = await withTenant(this.db, tenantId, (tx) =>
      tx
        .select()
        .from(subjectRequests)
        .where(olderThan(subjectRequests.receivedAt, subjectRequests.id, after))
        .orderBy(desc(subjectRequests.receivedAt), desc(subjectRequests.id))
        .limit(size + 1),
    );
    return toPage<SubjectRequestRow>(rows, size, (row) => ({ at: row.receivedAt, id: row.id }));
  }
}
