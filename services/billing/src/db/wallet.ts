import { eq, sql } from 'drizzle-orm';
import type { Money, Transaction } from '@parley/kit';
import type { Wallet } from '../domain/wallet';
import { billingAccounts } from './schema';
import { walletCredits } from './paymentsSchema';

/**
 * The minimal wallet payments need: each movement a row of wallet_credits under its unique reference, the
 * balance billing_accounts.balance_minor, both in the caller's transaction. A second movement with the same
 * reference inserts nothing and changes nothing.
 */
export class TableWallet implements Wallet {
  credit(tx: Transaction, tenantId: string, amount: Money, reference: string): Promise<boolean> {
    return this.move(tx, tenantId, amount.minorUnits, amount.currency, reference);
  }

  debit(tx: Transaction, tenantId: string, amount: Money, reference: string): Promise<boolean> {
    return this.move(tx, tenantId, -amount.minorUnits, amount.currency, reference);
  }

  async balance(tx: Transaction, tenantId: string): Promise<bigint> {
    const [account] = await tx
      .select({ balanceMinor: billingAccounts.balanceMinor })
      .from(billingAccounts)
      .where(eq(billingAccounts.tenantId, tenantId))
      .for('update');
    return account?.balanceMinor ?? 0n;
  }

  private async move(
    tx: Transaction,
    tenantId: string,
    amountMinor: bigint,
    currency: string,
    reference: string,
  ): Promise<boolean> {
    const inserted = await tx
      .insert(walletCredits)
      .values({ reference, tenantId, amountMinor, currency })
      .onConflictDoNothing()
      .returning({ reference: walletCredits.reference });
    if (inserted.length === 0) return false;
    await tx
      .update(billingAccounts)
      .set({ balanceMinor: sql`${billingAccounts.balanceMinor} + ${amountMinor}` })
      .where(eq(billingAccounts.tenantId, tenantId));
    return true;
  }
}
