import { invalidArgument, type RpcContext } from '@parley/kit';
import type { billingV1 } from '@parley/proto';
import type { AccountRepository } from '../db/accounts';

const tenantIdPattern = /^[a-z0-9][a-z0-9-]{1,62}$/;

/** AssignPlan (platform operators): the tenant's usage from now on is rated on this plan. */
export function makeAssignPlan(deps: { accounts: AccountRepository }) {
  return async ({
    request,
  }: RpcContext<billingV1.AssignPlanRequest>): Promise<billingV1.AssignPlanResponse> => {
    if (!tenantIdPattern.test(request.tenantId)) {
      throw invalidArgument('TENANT_ID_INVALID', 'tenantId is not a tenant id', [
        { field: 'tenantId', description: 'lowercase letters, digits and hyphens' },
      ]);
    }
    await deps.accounts.assignPlan(request.tenantId, request.planId);
    return {};
  };
}
