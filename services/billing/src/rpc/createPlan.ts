import type { RpcContext } from '@parley/kit';
import type { billingV1 } from '@parley/proto';
import { planMessage, type PlanRepository } from '../db/plans';
import { checkEffectiveFrom, checkPlanHeader, checkPlanPrices } from '../domain/plans';

/** CreatePlan (platform operators): a plan and its version 1. */
export function makeCreatePlan(deps: { plans: PlanRepository; now: () => Date }) {
  return async ({
    request,
  }: RpcContext<billingV1.CreatePlanRequest>): Promise<billingV1.CreatePlanResponse> => {
    checkPlanHeader(request);
    const prices = checkPlanPrices(request.prices, request.currency);
    const now = deps.now();
    const effectiveFrom = request.effectiveFrom ?? now;
    checkEffectiveFrom(effectiveFrom, now, undefined);
    await deps.plans.create(
      { id: request.id, name: request.name, currency: request.currency, isDefault: request.isDefault },
      prices,
      effectiveFrom,
    );
    return { plan: planMessage((await deps.plans.find(request.id))!) };
  };
}
