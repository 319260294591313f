import { notFound, type RpcContext } from '@parley/kit';
import type { billingV1 } from '@parley/proto';
import { planMessage, type PlanRepository } from '../db/plans';
import { checkEffectiveFrom, checkPlanPrices } from '../domain/plans';

/** AddPlanVersion (platform operators): new prices from a time not in the past; rated usage keeps its own. */
export function makeAddPlanVersion(deps: { plans: PlanRepository; now: () => Date }) {
  return async ({
    request,
  }: RpcContext<billingV1.AddPlanVersionRequest>): Promise<billingV1.AddPlanVersionResponse> => {
    const found = await deps.plans.find(request.planId);
    if (!found) throw notFound('PLAN_NOT_FOUND', `no plan has id ${request.planId}`);
    const prices = checkPlanPrices(request.prices, found.plan.currency);
    const now = deps.now();
    const effectiveFrom = request.effectiveFrom ?? now;
    await deps.plans.addVersion(request.planId, prices, effectiveFrom, (latest) =>
      checkEffectiveFrom(effectiveFrom, now, latest),
    );
    return { plan: planMessage((await deps.plans.find(request.planId))!) };
  };
}
