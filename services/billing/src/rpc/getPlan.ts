import { notFound, type RpcContext } from '@parley/kit';
import type { billingV1 } from '@parley/proto';
import type { AccountRepository } from '../db/accounts';
import { planMessage, type PlanRepository } from '../db/plans';

/** GetPlan: the caller's tenant's plan and its versions. */
export function makeGetPlan(deps: { accounts: AccountRepository; plans: PlanRepository }) {
  return async ({ caller }: RpcContext<billingV1.GetPlanRequest>): Promise<billingV1.GetPlanResponse> => {
    const account = await deps.accounts.find(caller.tenantId);
    if (!account) {
      throw notFound('BILLING_ACCOUNT_NOT_FOUND', `tenant ${caller.tenantId} has no billing account yet`);
    }
    const found = account.planId ? await deps.plans.find(account.planId) : undefined;
    if (!found) throw notFound('BILLING_PLAN_NOT_ASSIGNED', 'the tenant is on no plan yet');
    return { plan: planMessage(found) };
  };
}
