import { numberingV1 } from '@parley/proto';
import { periodOf } from '../../domain/periods';
import { firstMonthFraction, rateNumberRent, rateNumberSetup } from '../../domain/rating';
import { chargeRent, periodsAfter, rentSourceId } from '../../jobs/monthlyRent';
import { rateTwice, ratingConsumer, whenOf, type RatingDeps } from './rating';

/**
 * billing-on-number-assigned: the setup price (the event's own line), the number entered in the rent
 * inventory, and the first month's rent (pro rata when the plan says so) under the same key the monthly
 * rent job uses, so the job never charges that month again. An event applied late (after months the job has
 * already run for) also charges those whole months, under the same keys.
 */
export const onNumberAssigned = (deps: RatingDeps & { now: () => Date }) =>
  ratingConsumer(deps, {
    durable: 'billing-on-number-assigned',
    eventType: 'numbering.number.assigned',
    messageType: numberingV1.NumberAssigned,
    source: ({ payload, envelope }) => ({
      accountId: payload.accountId,
      reference: payload.numberId,
      occurredAt: whenOf(payload.assignedAt, envelope),
    }),
    rate: (plan, { payload }) => rateNumberSetup(plan, payload),
    async also(tx, { payload, envelope }) {
      const tenantId = envelope.tenantId;
      const assignedAt = whenOf(payload.assignedAt, envelope);
      await deps.usage.addNumber(tx, {
        tenantId,
        numberId: payload.numberId,
        accountId: payload.accountId,
        numberType: payload.type,
        country: payload.country,
        assignedAt,
      });
      // Pro rata or whole as each plan says (the platform's and, for a resold sub-account, the tenant's).
      await rateTwice(
        deps,
        tx,
        {
          tenantId,
          accountId: payload.accountId,
          reference: payload.numberId,
          occurredAt: assignedAt,
          sourceType: 'billing.number.rent',
          sourceId: rentSourceId(payload.numberId, periodOf(assignedAt)),
        },
        (plan) => rateNumberRent(plan, payload, firstMonthFraction(plan, assignedAt)),
      );
      const number = {
        tenantId,
        numberId: payload.numberId,
        accountId: payload.accountId,
        numberType: payload.type,
        country: payload.country,
      };
      for (const period of periodsAfter(periodOf(assignedAt), periodOf(deps.now())))
        await chargeRent(deps, tx, number, period);
    },
  });
