import type { RpcContext } from '@parley/kit';
import type { billingV1 } from '@parley/proto';
import type { AccountPlanRepository } from '../db/accountPlans';
import { planMessage } from '../db/plans';

/** ListAccountPlans: the caller's tenant's account plans with their versions, by id. */
export function makeListAccountPlans(deps: { accountPlans: AccountPlanRepository }) {
  return async ({
    caller,
  }: RpcContext<billingV1.ListAccountPlansRequest>): Promise<billingV1.ListAccountPlansResponse> => ({
    plans: (await deps.accountPlans.list(caller.tenantId)).map(planMessage),
  });
}
