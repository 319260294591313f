import { invalidArgument, type RpcContext } from '@parley/kit';
import type { billingV1 } from '@parley/proto';
import type { AccountPlanRepository } from '../db/accountPlans';

/**
 * SetAccountPlan: the caller's tenant resells one of its accounts on one of its account plans (usage rated
 * from now on gets a second line at that plan, and the account its own invoice from the tenant), or stops
 * (`planId` empty). Another tenant's plan id is not found.
 */
export function makeSetAccountPlan(deps: { accountPlans: AccountPlanRepository }) {
  return async ({
    request,
    caller,
  }: RpcContext<billingV1.SetAccountPlanRequest>): Promise<billingV1.SetAccountPlanResponse> => {
    if (request.accountId === '' || request.accountId.length > 100) {
      throw invalidArgument('ACCOUNT_ID_INVALID', "accountId must name one of the tenant's accounts", [
        { field: 'accountId', description: '1-100 characters (the tenant itself has no account plan)' },
      ]);
    }
    const assignedAt = await deps.accountPlans.assign(caller.tenantId, request.accountId, request.planId);
    return { accountId: request.accountId, planId: assignedAt ? request.planId : '', assignedAt };
  };
}
