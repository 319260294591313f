import { notFound, withTenant, type Database, type RpcContext } from '@parley/kit';
import type { billingV1 } from '@parley/proto';
import type { AccountPlanRepository } from '../db/accountPlans';
import { planMessage } from '../db/plans';
import { checkEffectiveFrom, checkPlanPrices } from '../domain/plans';

/** AddAccountPlanVersion: new prices from a time not in the past; usage already rated keeps its own. */
export function makeAddAccountPlanVersion(deps: {
  db: Database;
  accountPlans: AccountPlanRepository;
  now: () => Date;
}) {
  return async ({
    request,
    caller,
  }: RpcContext<billingV1.AddAccountPlanVersionRequest>): Promise<billingV1.AddAccountPlanVersionResponse> => {
    const read = () =>
      withTenant(deps.db, caller.tenantId, (tx) =>
        deps.accountPlans.find(tx, caller.tenantId, request.planId),
      );
    const found = await read();
    if (!found) throw notFound('PLAN_NOT_FOUND', `the tenant has no account plan ${request.planId}`);
    const prices = checkPlanPrices(request.prices, found.plan.currency);
    const now = deps.now();
    const effectiveFrom = request.effectiveFrom ?? now;
    await deps.accountPlans.addVersion(caller.tenantId, request.planId, prices, effectiveFrom, (latest) =>
      checkEffectiveFrom(effectiveFrom, now, latest),
    );
    return { plan: planMessage((await read())!) };
  };
}
