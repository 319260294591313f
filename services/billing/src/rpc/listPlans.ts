import type { RpcContext } from '@parley/kit';
import type { billingV1 } from '@parley/proto';
import { planMessage, type PlanRepository } from '../db/plans';

/** ListPlans (platform operators): every plan with its versions. */
export function makeListPlans(deps: { plans: PlanRepository }) {
  return async (_context: RpcContext<billingV1.ListPlansRequest>): Promise<billingV1.ListPlansResponse> => ({
    plans: (await deps.plans.list()).map(planMessage),
  });
}
