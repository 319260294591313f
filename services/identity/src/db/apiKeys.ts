import { and, desc, eq, isNull, lt, or } from 'drizzle-orm';
import { isUuid, withTenant, type Database, type Transaction } from '@parley/kit';
import { apiKeyLookup, apiKeys, type ApiKeyRow } from './schema';

export type ApiKeyRecord = ApiKeyRow;
export type NewApiKeyRecord = Omit<ApiKeyRecord, 'createdAt' | 'lastUsedAt' | 'revokedAt'>;

export class ApiKeyRepository {
  constructor(private readonly db: Database) {}

  async insert(record: NewApiKeyRecord, digest: Buffer): Promise<ApiKeyRecord> {
    return withTenant(this.db, record.tenantId, (tx) => this.insertIn(tx, record, digest));
  }

  /**
   * Inserts inside the caller's (tenant-scoped) transaction, e.g. with the tenant's activation. `digest` is
   * the key's keyed hash; `record.secretHash` holds the same digest in its stored form.
   */
  async insertIn(tx: Transaction, record: NewApiKeyRecord, digest: Buffer): Promise<ApiKeyRecord> {
    await tx
      .insert(apiKeyLookup)
      .values({ lookupId: record.lookupId, tenantId: record.tenantId, secretDigest: digest });
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

  /**
   * The key a presented key may be: the one whose digest is `digest`, or else a key issued before digests
   * with this lookup id (still holding its scrypt hash). One query either way, so a miss costs the same
   * whether or not the lookup id exists; the row is then read under the tenant the lookup index names.
   */
  async findForAuthentication(digest: Buffer, lookupId: string): Promise<ApiKeyRecord | undefined> {
    const [entry] = await this.db
      .select()
      .from(apiKeyLookup)
      .where(
        or(
          eq(apiKeyLookup.secretDigest, digest),
          and(eq(apiKeyLookup.lookupId, lookupId), isNull(apiKeyLookup.secretDigest)),
        ),
      )
      .limit(1);
    if (!entry) return undefined;
    const [row] = await withTenant(this.db, entry.tenantId, (tx) =>
      tx.select().from(apiKeys).where(eq(apiKeys.lookupId, entry.lookupId)),
    );
    return row;
  }

  /**
   * Replaces an old key's scrypt hash by its keyed hash, once it has proven the secret: later uses take the
   * fast path. Compare-and-set on the old hash, so two concurrent first uses write it once.
   */
  async upgradeDigest(record: ApiKeyRecord, digest: Buffer, stored: string): Promise<void> {
    await withTenant(this.db, record.tenantId, async (tx) => {
      const updated = await tx
        .update(apiKeys)
        .set({ secretHash: stored })
        .where(and(eq(apiKeys.id, record.id), eq(apiKeys.secretHash, record.secretHash)))
        .returning({ id: apiKeys.id });
      if (updated.length === 0) return;
      await tx
        .update(apiKeyLookup)
        .set({ secretDigest: digest })
        .where(and(eq(apiKeyLookup.lookupId, record.lookupId), isNull(apiKeyLookup.secretDigest)));
    });
  }

  /** Records use, at most once a minute per key, so authentication does not write on every request. */
  async touch(record: ApiKeyRecord, now: Date): Promise<void> {
    const staleBefore = new Date(now.getTime() - 60_000);
    // Read with the key a moment ago: when that was recent enough, the update would change nothing.
    if (record.lastUsedAt && record.lastUsedAt >= staleBefore) return;
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
