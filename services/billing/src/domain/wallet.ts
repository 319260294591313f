import type { Money, Transaction } from '@parley/kit';

/**
 * The tenant's prepaid wallet, as payments need it (a port). A credit or debit is applied at most once per
 * `reference` (`top-up:<id>`, `refund:<id>`), inside the caller's transaction, so it commits or rolls
 * back with the state change that causes it. Answers whether it was applied now (false: it already was).
 *
 * `db/wallet.ts` is a minimal table-backed implementation (wallet_credits + billing_accounts.balance_minor);
 * the wallet of plans and rating (usage debits, balance events, authorisation) is expected to implement
 * this port at merge.
 */
export interface Wallet {
  credit(tx: Transaction, tenantId: string, amount: Money, reference: string): Promise<boolean>;
  debit(tx: Transaction, tenantId: string, amount: Money, reference: string): Promise<boolean>;
  /** The balance as the transaction sees it (for refusing a refund larger than what is left). */
  balance(tx: Transaction, tenantId: string): Promise<bigint>;
}
