import { desc } from 'drizzle-orm';
import { olderThan, toPage, withTenant, type Cursor, type Database } from '@parley/kit';
import { messages, type MessageRow } from './schema';

export class MessageRepository {
  constructor(private readonly db: Database) {}

  /** One page of the tenant's message metadata, newest first. */
  async list(tenantId: string, size: number, after: Cursor | undefined) {
    const rows = await withTenant(this.db, tenantId, (tx) =>
      tx
        .select()
        .from(messages)
        .where(olderThan(messages.createdAt, messages.id, after))
        .orderBy(desc(messages.createdAt), desc(messages.id))
        .limit(size + 1),
    );
    return toPage<MessageRow>(rows, size, (row) => ({ at: row.createdAt, id: row.id }));
  }
}
