import { and, desc, eq, isNull, lt, or } from 'drizzle-orm';
import { isUuid, withTenant, type Database, type Transaction } from '@parley/kit';
import { apiKeyLookup, apiKeys, type ApiKeyRow } from './schema';

export type ApiKeyRecord = ApiKeyRow;
export type NewApiKeyRecord = Omit<ApiKeyRecord, 'createdAt' | 'lastUsedAt' | 'revokedAt'>;

export class ApiKeyRepository {
  constructor(private readonly db: Database) {}

  async insert(record: NewApiKeyRecord): Promise<ApiKeyRecord> {
    return withTenant(this.db, record.tenantId, (tx) => this.insertIn(tx, record));
  }

  /** Inserts inside the caller's (tenant-scoped) transaction, e.g. with the tenant's activation. */
  async insertIn(tx: Transaction, record: NewApiKeyRecord): Promise<ApiKeyRecord> {
    await tx.insert(apiKeyLookup).values({ lookupId: record.lookupId, tenantId: record.tenantId });
    const [row] = await tx.insert(apiKeys).values(record).returning();
    if (!row) throw new Error('api key insert returned nothing');
    return row;
  }

  async list(tenantId: string, includeRevoked: boolean): Promise<ApiKeyRecord[]> {
    return withTenant(this.db, tenantId, (tx) =>
      tx
        .select()
        .from(apiKeys)
        .where(includeRevoked ? undefined : isNull(apiKeys.revokedAt))
        .orderBy(desc(apiKeys.createdAt)),
    );
  }

  async find(tenantId: string, id: string): Promise<ApiKeyRecord | undefined> {
    if (!isUuid(id)) return undefined;
    const [row] = await withTenant(this.db, tenantId, (tx) =>
      tx.select().from(apiKeys).where(eq(apiKeys.id, id)),
    );
    return row;
  }

  /** Revokes once; a second revoke returns the key as it is. */
  async revoke(tenantId: string, id: string, at: Date): Promise<ApiKeyRecord | undefined> {
    return withTenant(this.db, tenantId, async (tx) => {
      const [row] = await tx
        .update(apiKeys)
        .set({ revokedAt: at })
        .where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt)))
        .returning();
      if (row) return row;
      const [existing] = await tx.select().from(apiKeys).where(eq(apiKeys.id, id));
      return existing;
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
