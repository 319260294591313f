import { and, asc, eq, sql } from 'drizzle-orm';
import { alreadyExists, notFound, type Database, type Transaction } from '@parley/kit';
import { billingV1 } from '@parley/proto';
import type { RatePlan } from '../domain/plans';
import { billingPlans, billingPlanVersions, type PlanRow, type PlanVersionRow } from './schema';

export interface PlanWithVersions {
  plan: PlanRow;
  versions: RatePlan[];
}

/** A stored version read into a RatePlan (platform and account plans store versions the same way). */
export function ratePlan(
  plan: Pick<PlanRow, 'id' | 'currency'>,
  row: Pick<PlanVersionRow, 'version' | 'effectiveFrom' | 'prices'>,
): RatePlan {
  return {
    planId: plan.id,
    version: row.version,
    currency: plan.currency,
    effectiveFrom: row.effectiveFrom,
    prices: billingV1.PlanPrices.fromJSON(row.prices),
  };
}

/** Plans are platform data (no tenant column): read and written outside any tenant's wall. */
export class PlanRepository {
  constructor(private readonly db: Database) {}

  async create(
    input: { id: string; name: string; currency: string; isDefault: boolean },
    prices: billingV1.PlanPrices,
    effectiveFrom: Date,
  ): Promise<void> {
    await this.db.transaction(async (tx) => {
      if (input.isDefault) await this.clearDefault(tx, input.currency);
      const inserted = await tx
        .insert(billingPlans)
        .values(input)
        .onConflictDoNothing()
        .returning({ id: billingPlans.id });
      if (inserted.length === 0) throw alreadyExists('PLAN_EXISTS', `a plan with id ${input.id} exists`);
      await tx.insert(billingPlanVersions).values({
        planId: input.id,
        version: 1,
        effectiveFrom,
        prices: billingV1.PlanPrices.toJSON(prices),
      });
    });
  }

  private async clearDefault(tx: Transaction, currency: string): Promise<void> {
    await tx
      .update(billingPlans)
      .set({ isDefault: false })
      .where(and(eq(billingPlans.currency, currency), eq(billingPlans.isDefault, true)));
  }

  /**
   * Adds the next version under a lock on the plan row, so two concurrent additions get 2 and 3, never
   * both 2; `check` sees the latest version's start before the insert.
   */
  async addVersion(
    planId: string,
    prices: billingV1.PlanPrices,
    effectiveFrom: Date,
    check: (latest: Date | undefined) => void,
  ): Promise<void> {
    await this.db.transaction(async (tx) => {
      const [plan] = await tx.select().from(billingPlans).where(eq(billingPlans.id, planId)).for('update');
      if (!plan) throw notFound('PLAN_NOT_FOUND', `no plan has id ${planId}`);
      const [latest] = await tx
        .select({
          version: billingPlanVersions.version,
          effectiveFrom: billingPlanVersions.effectiveFrom,
        })
        .from(billingPlanVersions)
        .where(eq(billingPlanVersions.planId, planId))
        .orderBy(sql`${billingPlanVersions.version} desc`)
        .limit(1);
      check(latest?.effectiveFrom);
      await tx.insert(billingPlanVersions).values({
        planId,
        version: (latest?.version ?? 0) + 1,
        effectiveFrom,
        prices: billingV1.PlanPrices.toJSON(prices),
      });
    });
  }

  async find(planId: string, tx: Transaction | Database = this.db): Promise<PlanWithVersions | undefined> {
    const [plan] = await tx.select().from(billingPlans).where(eq(billingPlans.id, planId));
    if (!plan) return undefined;
    const versions = await tx
      .select()
      .from(billingPlanVersions)
      .where(eq(billingPlanVersions.planId, planId))
      .orderBy(asc(billingPlanVersions.version));
    return { plan, versions: versions.map((row) => ratePlan(plan, row)) };
  }

  async list(): Promise<PlanWithVersions[]> {
    const plans = await this.db.select().from(billingPlans).orderBy(asc(billingPlans.id));
    const versions = await this.db
      .select()
      .from(billingPlanVersions)
      .orderBy(asc(billingPlanVersions.planId), asc(billingPlanVersions.version));
    return plans.map((plan) => ({
      plan,
      versions: versions.filter((row) => row.planId === plan.id).map((row) => ratePlan(plan, row)),
    }));
  }

  /** The default plan of a currency, if there is one. */
  async defaultFor(tx: Transaction, currency: string): Promise<string | undefined> {
    const [row] = await tx
      .select({ id: billingPlans.id })
      .from(billingPlans)
      .where(and(eq(billingPlans.currency, currency), eq(billingPlans.isDefault, true)));
    return row?.id;
  }
}

/** The proto form of a plan and its versions. */
export function planMessage(entry: PlanWithVersions): billingV1.Plan {
  return {
    id: entry.plan.id,
    name: entry.plan.name,
    currency: entry.plan.currency,
    isDefault: entry.plan.isDefault,
    createdAt: entry.plan.createdAt,
    versions: entry.versions.map((version) => ({
      version: version.version,
      effectiveFrom: version.effectiveFrom,
      prices: version.prices,
      createdAt: undefined,
    })),
  };
}
