import { eq } from 'drizzle-orm';
import { withTenant, type Database } from '@parley/kit';
import { tenantRateLimits } from './schema';

/** A tenant's own limits; an absent (null) one keeps the configured default. */
export interface RateLimitOverride {
  tenantId: string;
  perPrincipal: number | null;
  perTenant: number | null;
  updatedBy: string;
  updatedAt: Date;
}

/**
 * Per-tenant rate limits set by a platform admin, in the gateway's database. Every replica reads them
 * through a cache of `cacheMs`, so a change reaches all replicas within that time (at once on the
 * replica that made it).
 */
export class RateLimitOverrides {
  private readonly cache = new Map<string, { value: RateLimitOverride | undefined; until: number }>();

  constructor(
    private readonly db: Database,
    private readonly cacheMs: number,
  ) {}

  async get(tenantId: string): Promise<RateLimitOverride | undefined> {
    const cached = this.cache.get(tenantId);
    if (cached && cached.until > Date.now()) return cached.value;
    const rows = await withTenant(this.db, tenantId, (tx) =>
      tx.select().from(tenantRateLimits).where(eq(tenantRateLimits.tenantId, tenantId)),
    );
    const value = rows[0];
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(tenantId, { value, until: Date.now() + this.cacheMs });
    return value;
  }

  async put(
    tenantId: string,
    limits: { perPrincipal: number | null; perTenant: number | null },
    updatedBy: string,
  ): Promise<RateLimitOverride> {
    const [row] = await withTenant(this.db, tenantId, (tx) =>
      tx
        .insert(tenantRateLimits)
        .values({ tenantId, ...limits, updatedBy })
        .onConflictDoUpdate({
          target: tenantRateLimits.tenantId,
          set: { ...limits, updatedBy, updatedAt: new Date() },
        })
        .returning(),
    );
    this.cache.delete(tenantId);
    return row!;
  }

  /** Removes a tenant's override; answers whether there was one. */
  async remove(tenantId: string): Promise<boolean> {
    const gone = await withTenant(this.db, tenantId, (tx) =>
      tx.delete(tenantRateLimits).where(eq(tenantRateLimits.tenantId, tenantId)).returning(),
    );
    this.cache.delete(tenantId);
    return gone.length > 0;
  }
}
