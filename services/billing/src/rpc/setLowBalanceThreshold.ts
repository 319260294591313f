import { invalidArgument, withTenant, type Database, type RpcContext } from '@parley/kit';
import type { billingV1 } from '@parley/proto';
import type { WalletRepository } from '../db/wallets';

/** SetLowBalanceThreshold: the tenant chooses below which balance billing.balance.low is published. */
export function makeSetLowBalanceThreshold(deps: { db: Database; wallet: WalletRepository }) {
  return async ({
    request,
    caller,
  }: RpcContext<billingV1.SetLowBalanceThresholdRequest>): Promise<billingV1.SetLowBalanceThresholdResponse> => {
    const threshold = request.thresholdMinor === undefined ? null : BigInt(request.thresholdMinor);
    if (threshold !== null && threshold < 0n) {
      throw invalidArgument('THRESHOLD_INVALID', 'the threshold cannot be negative', [
        { field: 'thresholdMinor', description: '0 or more minor units, or null for no alert' },
      ]);
    }
    await withTenant(deps.db, caller.tenantId, (tx) =>
      deps.wallet.update(tx, caller.tenantId, { lowBalanceThresholdMinor: threshold }),
    );
    return {};
  };
}
