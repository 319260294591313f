import { sql } from 'drizzle-orm';
import type { Transaction } from '@parley/kit';

/**
 * Records that the tenant (`accountId` '') or one of its accounts left at `at`: its billing profile's
 * `closed_at`, from which the legal retention of its financial records runs. Set once: a redelivered or
 * later closing leaves the first date. An account without a profile gets one holding only the date (it
 * prints as before: no name, the tenant's country). True when this call set it.
 */
export async function closeProfile(
  tx: Transaction,
  tenantId: string,
  accountId: string,
  at: Date,
): Promise<boolean> {
  const result = await tx.execute(sql`
    insert into billing_profiles (tenant_id, account_id, closed_at)
    values (${tenantId}, ${accountId}, ${at})
    on conflict (tenant_id, account_id) do update set closed_at = excluded.closed_at, updated_at = now()
      where billing_profiles.closed_at is null
    returning account_id`);
  return result.rows.length > 0;
}
