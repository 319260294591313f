import { notFound, type RpcContext } from '@parley/kit';
import type { billingV1 } from '@parley/proto';
import type { AccountRepository } from '../db/accounts';

export function makeGetBalance(deps: { accounts: AccountRepository }) {
  return async ({
    caller,
  }: RpcContext<billingV1.GetBalanceRequest>): Promise<billingV1.GetBalanceResponse> => {
    const account = await deps.accounts.find(caller.tenantId);
    if (!account) {
      throw notFound('BILLING_ACCOUNT_NOT_FOUND', `tenant ${caller.tenantId} has no billing account yet`);
    }
    return {
      tenantId: account.tenantId,
      currency: account.currency,
      balanceMinor: account.balanceMinor.toString(),
      openedAt: account.openedAt,
      billingMode: account.billingMode,
      creditLimitMinor: account.creditLimitMinor.toString(),
      lowBalanceThresholdMinor: account.lowBalanceThresholdMinor?.toString(),
      planId: account.planId ?? '',
    };
  };
}
