import { eq, sql } from 'drizzle-orm';
import { failedPrecondition, Money, notFound, type Outbox, type Transaction } from '@parley/kit';
import { billingV1 } from '@parley/proto';
import { crossedBelow, type Wallet } from '../domain/wallet';
import { billingAccounts, walletCredits, type BillingAccountRow } from './schema';

/**
 * The tenant's wallet: its balance moves in the same transaction as the usage or credit that moves it, and
 * each move publishes billing.balance.changed (every replica's authorisation state follows it) and, when a
 * prepaid balance falls below the tenant's threshold, billing.balance.low once per fall.
 */
export class WalletRepository implements Wallet {
  constructor(private readonly outbox: Outbox) {}

  /**
   * Charges rated usage (a negative amount would be a credit line). Its usage line, unique by reference,
   * is what makes it happen once.
   */
  async charge(tenantId: string, amount: Money, reference: string, tx: Transaction): Promise<void> {
    await this.move(tx, tenantId, amount.negate(), reference);
  }

  /**
   * Credits the wallet (a top-up, a refused refund given back), once per `reference`: a second call with
   * the same reference changes nothing and answers false. Call it in the transaction that records the
   * payment as succeeded.
   */
  async credit(tx: Transaction, tenantId: string, amount: Money, reference: string): Promise<boolean> {
    if (amount.minorUnits <= 0n) throw failedPrecondition('CREDIT_NOT_POSITIVE', 'a credit must be positive');
    return this.once(tx, tenantId, amount, reference);
  }

  /**
   * Takes money out of the wallet for a payment (a refund of a top-up), once per `reference`, recorded
   * as a negative movement beside the credits; false when that reference was already applied.
   */
  async debit(tx: Transaction, tenantId: string, amount: Money, reference: string): Promise<boolean> {
    if (amount.minorUnits <= 0n) throw failedPrecondition('DEBIT_NOT_POSITIVE', 'a debit must be positive');
    return this.once(tx, tenantId, amount.negate(), reference);
  }

  /** The balance as `tx` sees it, with the account's row locked until `tx` ends. */
  async balance(tx: Transaction, tenantId: string): Promise<bigint> {
    const [account] = await tx
      .select({ balanceMinor: billingAccounts.balanceMinor })
      .from(billingAccounts)
      .where(eq(billingAccounts.tenantId, tenantId))
      .for('update');
    if (!account)
      throw notFound('BILLING_ACCOUNT_NOT_FOUND', `tenant ${tenantId} has no billing account yet`);
    return account.balanceMinor;
  }

  /** Applies a payment movement unless its reference already was (the row and the balance together). */
  private async once(tx: Transaction, tenantId: string, change: Money, reference: string): Promise<boolean> {
    const inserted = await tx
      .insert(walletCredits)
      .values({ tenantId, reference, amountMinor: change.minorUnits, currency: change.currency })
      .onConflictDoNothing()
      .returning({ reference: walletCredits.reference });
    if (inserted.length === 0) return false;
    await this.move(tx, tenantId, change, reference);
    return true;
  }

  private async move(tx: Transaction, tenantId: string, change: Money, reference: string): Promise<void> {
    const [before] = await tx
      .select()
      .from(billingAccounts)
      .where(eq(billingAccounts.tenantId, tenantId))
      .for('update');
    if (!before) throw notFound('BILLING_ACCOUNT_NOT_FOUND', `tenant ${tenantId} has no billing account yet`);
    if (before.currency !== change.currency) {
      throw failedPrecondition(
        'CURRENCY_MISMATCH',
        `the account is in ${before.currency}, the amount in ${change.currency}`,
      );
    }
    const balance = before.balanceMinor + change.minorUnits;
    const alert = crossedBelow(before, balance);
    const [after] = await tx
      .update(billingAccounts)
      .set({ balanceMinor: balance, lowBalanceAlerted: alert.alerted })
      .where(eq(billingAccounts.tenantId, tenantId))
      .returning();
    await this.announce(tx, after!, reference);
    if (alert.send) {
      await this.outbox.enqueue(tx, {
        type: 'billing.balance.low',
        tenantId,
        payloadType: 'parley.billing.v1.BalanceLow',
        messageType: billingV1.BalanceLow,
        payload: {
          balanceMinor: balance.toString(),
          thresholdMinor: before.lowBalanceThresholdMinor!.toString(),
          currency: before.currency,
        },
      });
    }
  }

  /** Publishes the account's balance and settings for every replica's authorisation state. */
  async announce(tx: Transaction, account: BillingAccountRow, reference: string): Promise<void> {
    await this.outbox.enqueue(tx, {
      type: 'billing.balance.changed',
      tenantId: account.tenantId,
      key: `balance:${account.tenantId}`,
      payloadType: 'parley.billing.v1.BalanceChanged',
      messageType: billingV1.BalanceChanged,
      payload: {
        balanceMinor: account.balanceMinor.toString(),
        currency: account.currency,
        billingMode: account.billingMode,
        creditLimitMinor: account.creditLimitMinor.toString(),
        reference,
      },
    });
  }

  /** Changes the mode, credit limit or threshold, under the account's row lock. */
  async update(
    tx: Transaction,
    tenantId: string,
    changes: {
      billingMode?: 'prepaid' | 'postpaid';
      creditLimitMinor?: bigint;
      lowBalanceThresholdMinor?: bigint | null;
    },
  ): Promise<void> {
    const [after] = await tx
      .update(billingAccounts)
      .set({ ...changes, lowBalanceAlerted: sql`false` })
      .where(eq(billingAccounts.tenantId, tenantId))
      .returning();
    if (!after) throw notFound('BILLING_ACCOUNT_NOT_FOUND', `tenant ${tenantId} has no billing account yet`);
    await this.announce(tx, after, '');
  }
}
