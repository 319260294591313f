import { eq } from 'drizzle-orm';
import { withTenant, type Database, type Transaction } from '@parley/kit';
import { billingAccounts, type BillingAccountRow } from './schema';

export class AccountRepository {
  constructor(private readonly db: Database) {}

  /** Opens the tenant's account inside the caller's (tenant-scoped) transaction; a second open is a no-op. */
  async open(tx: Transaction, tenantId: string, currency: string): Promise<void> {
    await tx.insert(billingAccounts).values({ tenantId, currency, balanceMinor: 0n }).onConflictDoNothing();
  }

  async find(tenantId: string): Promise<BillingAccountRow | undefined> {
    const [row] = await withTenant(this.db, tenantId, (tx) =>
      tx.select().from(billingAccounts).where(eq(billingAccounts.tenantId, tenantId)),
    );
    return row;
  }
}
