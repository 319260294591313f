import { withTenant, type Database, type JobContext, type Transaction } from '@parley/kit';
import type { BillingNumberRow } from '../db/schema';
import { nextPeriod, periodBounds, periodOf, PERIOD_PATTERN, type Period } from '../domain/periods';
import { rateNumberRent } from '../domain/rating';
import { rateTwice, type RatingDeps } from '../events/consumers/rating';

export const MONTHLY_RENT_QUEUE = 'billing-monthly-rent';
/** At 00:05 UTC on the first of every month: the new month's rent. */
export const MONTHLY_RENT_CRON = '5 0 1 * *';

/** The source id of a number's rent for a period: one charge per number per period, whoever rates it. */
export const rentSourceId = (numberId: string, period: Period) => `rent:${numberId}:${period}`;

/**
 * Charges a whole month's rent for `period`, at the plan version in force when the period starts (and, for a
 * resold sub-account's number, at its account plan too).
 */
export async function chargeRent(
  deps: RatingDeps,
  tx: Transaction,
  number: Pick<BillingNumberRow, 'tenantId' | 'numberId' | 'accountId' | 'numberType' | 'country'>,
  period: Period,
): Promise<boolean> {
  const { start } = periodBounds(period);
  const rated = await rateTwice(
    deps,
    tx,
    {
      tenantId: number.tenantId,
      accountId: number.accountId,
      reference: number.numberId,
      occurredAt: start,
      sourceType: 'billing.number.rent',
      sourceId: rentSourceId(number.numberId, period),
    },
    (plan) =>
      rateNumberRent(
        plan,
        { type: number.numberType, country: number.country },
        { coefficient: 1n, scale: 0 },
      ),
  );
  return rated.stored;
}

/** Every period after `first` up to and including `last`. */
export function periodsAfter(first: Period, last: Period): Period[] {
  const periods: Period[] = [];
  for (let period = nextPeriod(first); period <= last; period = nextPeriod(period)) periods.push(period);
  return periods;
}

/**
 * The monthly rent run: each number held when the period starts is charged the period's rent once (the
 * unique source id `rent:<number>:<period>`), each in its tenant's own transaction. A run that dies part
 * way is retried by the queue and charges only what is missing. The period is the month the scheduled job
 * was created in, or `data.period` when an operator or a test sends one.
 */
export function makeMonthlyRent(deps: RatingDeps & { db: Database }) {
  return async (job: JobContext<{ period?: string }>): Promise<void> => {
    const period =
      job.data?.period && PERIOD_PATTERN.test(job.data.period) ? job.data.period : periodOf(job.createdOn);
    const { start } = periodBounds(period);
    const numbers = await withTenant(deps.db, 'platform', (tx) => deps.usage.numbersHeldAt(tx, start));
    let charged = 0;
    for (const number of numbers) {
      const stored = await withTenant(deps.db, number.tenantId, (tx) => chargeRent(deps, tx, number, period));
      if (stored) charged += 1;
    }
    job.log.info({ period, numbers: numbers.length, charged }, 'monthly rent charged');
  };
}
