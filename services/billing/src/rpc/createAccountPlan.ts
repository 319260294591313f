import { failedPrecondition, notFound, withTenant, type Database, type RpcContext } from '@parley/kit';
import type { billingV1 } from '@parley/proto';
import type { AccountPlanRepository } from '../db/accountPlans';
import type { AccountRepository } from '../db/accounts';
import { planMessage } from '../db/plans';
import { checkEffectiveFrom, checkPlanHeader, checkPlanPrices } from '../domain/plans';

/**
 * CreateAccountPlan: the caller's tenant's own price list for its sub-accounts, checked exactly as a
 * platform plan is, in the currency of the tenant's billing account (its invoices to its accounts are).
 */
export function makeCreateAccountPlan(deps: {
  db: Database;
  accounts: AccountRepository;
  accountPlans: AccountPlanRepository;
  now: () => Date;
}) {
  return async ({
    request,
    caller,
  }: RpcContext<billingV1.CreateAccountPlanRequest>): Promise<billingV1.CreateAccountPlanResponse> => {
    checkPlanHeader(request);
    const prices = checkPlanPrices(request.prices, request.currency);
    const now = deps.now();
    const effectiveFrom = request.effectiveFrom ?? now;
    checkEffectiveFrom(effectiveFrom, now, undefined);
    const account = await deps.accounts.find(caller.tenantId);
    if (!account)
      throw notFound('BILLING_ACCOUNT_NOT_FOUND', `tenant ${caller.tenantId} has no billing account yet`);
    if (account.currency !== request.currency) {
      throw failedPrecondition(
        'PLAN_CURRENCY_MISMATCH',
        `an account plan must be in the tenant's billing currency, ${account.currency}`,
      );
    }
    await deps.accountPlans.create(
      caller.tenantId,
      { id: request.id, name: request.name, currency: request.currency },
      prices,
      effectiveFrom,
    );
    const created = await withTenant(deps.db, caller.tenantId, (tx) =>
      deps.accountPlans.find(tx, caller.tenantId, request.id),
    );
    return { plan: planMessage(created!) };
  };
}
