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
