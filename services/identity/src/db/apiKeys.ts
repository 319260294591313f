import { and, eq, isNull, lt, or } from 'drizzle-orm';
import { withTenant, type Database } from '@parley/kit';
import { apiKeyLookup, apiKeys, type ApiKeyRow } from './schema';

export type ApiKeyRecord = ApiKeyRow;

export class ApiKeyRepository {
  constructor(private readonly db: Database) {}

  async insert(record: Omit<ApiKeyRecord, 'createdAt' | 'lastUsedAt' | 'revokedAt'>): Promise<ApiKeyRecord> {
    return withTenant(this.db, record.tenantId, async (tx) => {
      await tx.insert(apiKeyLookup).values({ lookupId: record.lookupId, tenantId: record.tenantId });
      const [row] = await tx.insert(apiKeys).values(record).returning();
      if (!row) throw new Error('api key insert returned nothing');
      return row;
    });
  }

  /** Finds a key by its lookup id, under the tenant the lookup index names. */
  async findByLookupId(lookupId: string): Promise<ApiKeyRecord | undefined> {
    const [entry] = await this.db.select().from(apiKeyLookup).where(eq(apiKeyLookup.lookupId, lookupId));
    if (!entry) return undefined;
    const [row] = await withTenant(this.db, entry.tenantId, (tx) =>
      tx.select().from(apiKeys).where(eq(apiKeys.lookupId, lookupId)),
    );
    return row;
  }

  /** Records use, at most once a minute per key, so authentication does not write on every request. */
  async touch(record: ApiKeyRecord, now: Date): Promise<void> {
    const staleBefore = new Date(now.getTime() - 60_000);
    await withTenant(this.db, record.tenantId, (tx) =>
      tx
        .update(apiKeys)
        .set({ lastUsedAt: now })
        .where(
          and(eq(apiKeys.id, record.id), or(isNull(apiKeys.lastUsedAt), lt(apiKeys.lastUsedAt, staleBefore))),
        ),
    );
  }
}
