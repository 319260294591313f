import { eq } from 'drizzle-orm';
import { failedPrecondition, notFound, withTenant, type Database, type Transaction } from '@parley/kit';
import type { WalletState } from '../domain/authoriser';
import type { PlanRepository } from './plans';
import type { WalletRepository } from './wallets';
import { billingAccounts, type BillingAccountRow } from './schema';

export class AccountRepository {
  constructor(
    private readonly db: Database,
    private readonly plans: PlanRepository,
    private readonly wallet: WalletRepository,
  ) {}

  /** What authorisation keeps in memory for the tenant. */
  async walletState(tenantId: string): Promise<WalletState | undefined> {
    const account = await this.find(tenantId);
    if (!account) return undefined;
    const plan = account.planId ? await this.plans.find(account.planId) : undefined;
    return {
      currency: account.currency,
      billingMode: account.billingMode,
      balanceMinor: account.balanceMinor,
      creditLimitMinor: account.creditLimitMinor,
      plan: plan?.versions ?? [],
    };
  }

  /**
   * Opens the tenant's account inside the caller's (tenant-scoped) transaction, on the default plan of its
   * currency (none when that currency has no default plan yet); a second open is a no-op.
   */
  async open(
    tx: Transaction,
    tenantId: string,
    currency: string,
    billingMode: 'prepaid' | 'postpaid',
  ): Promise<void> {
    const planId = (await this.plans.defaultFor(tx, currency)) ?? null;
    await tx
      .insert(billingAccounts)
      .values({ tenantId, currency, balanceMinor: 0n, planId, billingMode })
      .onConflictDoNothing();
  }

  async find(tenantId: string): Promise<BillingAccountRow | undefined> {
    return withTenant(this.db, tenantId, (tx) => this.inTransaction(tx, tenantId));
  }

  async inTransaction(tx: Transaction, tenantId: string): Promise<BillingAccountRow | undefined> {
    const [row] = await tx.select().from(billingAccounts).where(eq(billingAccounts.tenantId, tenantId));
    return row;
  }

  /** Puts the tenant on a plan of its account's currency. */
  async assignPlan(tenantId: string, planId: string): Promise<void> {
    const found = await this.plans.find(planId);
    if (!found) throw notFound('PLAN_NOT_FOUND', `no plan has id ${planId}`);
    await withTenant(this.db, tenantId, async (tx) => {
      const account = await this.inTransaction(tx, tenantId);
      if (!account)
        throw notFound('BILLING_ACCOUNT_NOT_FOUND', `tenant ${tenantId} has no billing account yet`);
      if (account.currency !== found.plan.currency) {
        throw failedPrecondition(
          'PLAN_CURRENCY_MISMATCH',
          `plan ${planId} is in ${found.plan.currency}, the tenant's account in ${account.currency}`,
        );
      }
      const [after] = await tx
        .update(billingAccounts)
        .set({ planId })
        .where(eq(billingAccounts.tenantId, tenantId))
        .returning();
      // Every replica reads the wallet (and its plan) again.
      await this.wallet.announce(tx, after!, '');
    });
  }
}
