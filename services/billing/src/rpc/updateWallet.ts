import {
  invalidArgument,
  withTenant,
  type Database,
  type FieldViolation,
  type RpcContext,
} from '@parley/kit';
import type { billingV1 } from '@parley/proto';
import type { WalletRepository } from '../db/wallets';

/** UpdateWallet (platform operators): billing mode, credit limit, low-balance threshold. */
export function makeUpdateWallet(deps: { db: Database; wallet: WalletRepository }) {
  return async ({
    request,
  }: RpcContext<billingV1.UpdateWalletRequest>): Promise<billingV1.UpdateWalletResponse> => {
    const violations: FieldViolation[] = [];
    if (!/^[a-z0-9][a-z0-9-]{1,62}$/.test(request.tenantId))
      violations.push({ field: 'tenantId', description: 'a tenant id' });
    if (
      request.billingMode !== undefined &&
      request.billingMode !== 'prepaid' &&
      request.billingMode !== 'postpaid'
    )
      violations.push({ field: 'billingMode', description: 'prepaid or postpaid' });
    const creditLimit = request.creditLimitMinor === undefined ? undefined : BigInt(request.creditLimitMinor);
    if (creditLimit !== undefined && creditLimit < 0n)
      violations.push({ field: 'creditLimitMinor', description: '0 or more minor units' });
    if (violations.length > 0)
      throw invalidArgument('WALLET_INVALID', 'the wallet settings are invalid', violations);
    const threshold =
      request.lowBalanceThresholdMinor === undefined
        ? undefined
        : BigInt(request.lowBalanceThresholdMinor) < 0n
          ? null
          : BigInt(request.lowBalanceThresholdMinor);
    await withTenant(deps.db, request.tenantId, (tx) =>
      deps.wallet.update(tx, request.tenantId, {
        ...(request.billingMode ? { billingMode: request.billingMode as 'prepaid' | 'postpaid' } : {}),
        ...(creditLimit !== undefined ? { creditLimitMinor: creditLimit } : {}),
        ...(threshold !== undefined ? { lowBalanceThresholdMinor: threshold } : {}),
      }),
    );
    return {};
  };
}
