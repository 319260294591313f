import { withTenant, type Database, type RpcContext } from '@parley/kit';
import type { billingV1 } from '@parley/proto';
import type { AccountPlanRepository } from '../db/accountPlans';

/** GetAccountPlanAssignment: which of the caller's tenant's account plans an account is on (none: not resold). */
export function makeGetAccountPlanAssignment(deps: { db: Database; accountPlans: AccountPlanRepository }) {
  return async ({
    request,
    caller,
  }: RpcContext<billingV1.GetAccountPlanAssignmentRequest>): Promise<billingV1.GetAccountPlanAssignmentResponse> => {
    const assignment = await withTenant(deps.db, caller.tenantId, (tx) =>
      deps.accountPlans.assignment(tx, caller.tenantId, request.accountId),
    );
    return {
      accountId: request.accountId,
      planId: assignment?.planId ?? '',
      assignedAt: assignment?.assignedAt,
    };
  };
}
