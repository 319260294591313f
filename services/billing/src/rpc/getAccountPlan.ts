import { notFound, withTenant, type Database, type RpcContext } from '@parley/kit';
import type { billingV1 } from '@parley/proto';
import type { AccountPlanRepository } from '../db/accountPlans';
import { planMessage } from '../db/plans';

/** GetAccountPlan: one of the caller's tenant's account plans (another tenant's is not found). */
export function makeGetAccountPlan(deps: { db: Database; accountPlans: AccountPlanRepository }) {
  return async ({
    request,
    caller,
  }: RpcContext<billingV1.GetAccountPlanRequest>): Promise<billingV1.GetAccountPlanResponse> => {
    const found = await withTenant(deps.db, caller.tenantId, (tx) =>
      deps.accountPlans.find(tx, caller.tenantId, request.planId),
    );
    if (!found) throw notFound('PLAN_NOT_FOUND', `the tenant has no account plan ${request.planId}`);
    return { plan: planMessage(found) };
  };
}
