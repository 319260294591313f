import type { Money, Transaction } from '@parley/kit';

/**
 * The tenant's prepaid wallet, as payments need it (a port; `db/wallets.ts` implements it). A credit or
 * debit is applied at most once per `reference` (`top-up:<id>`, `refund:<id>`), inside the caller's
 * transaction, so it commits or rolls back with the state change that causes it, and announces the new
 * balance to every replica's authorisation. Answers whether it was applied now (false: it already was).
 */
export interface Wallet {
  credit(tx: Transaction, tenantId: string, amount: Money, reference: string): Promise<boolean>;
  debit(tx: Transaction, tenantId: string, amount: Money, reference: string): Promise<boolean>;
  /** The balance as the transaction sees it, row locked (for refusing a refund larger than what is left). */
  balance(tx: Transaction, tenantId: string): Promise<bigint>;
}

/** Whether a balance change crosses the tenant's low-balance threshold (one alert per fall below it). */
export function crossedBelow(
  before: { billingMode: string; lowBalanceThresholdMinor: bigint | null; lowBalanceAlerted: boolean },
  balance: bigint,
): { send: boolean; alerted: boolean } {
  const threshold = before.lowBalanceThresholdMinor;
  if (before.billingMode !== 'prepaid' || threshold === null || threshold < 0n)
    return { send: false, alerted: false };
  if (balance >= threshold) return { send: false, alerted: false };
  return { send: !before.lowBalanceAlerted, alerted: true };
}

/** What a tenant may still spend: balance plus credit limit, less what is reserved. */
export function available(
  state: { balanceMinor: bigint; creditLimitMinor: bigint },
  reserved: bigint,
): bigint {
  return state.balanceMinor + state.creditLimitMinor - reserved;
}
