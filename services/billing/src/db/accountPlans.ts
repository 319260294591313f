import { and, asc, desc, eq } from 'drizzle-orm';
import { alreadyExists, notFound, withTenant, type Database, type Transaction } from '@parley/kit';
import { billingV1 } from '@parley/proto';
import { versionAt, type RatePlan } from '../domain/plans';
import { ratePlan, type PlanWithVersions } from './plans';
import { accountPlanAssignments, accountPlans, accountPlanVersions } from './schema';

const planNotFound = (planId: string) =>
  notFound('PLAN_NOT_FOUND', `the tenant has no account plan ${planId}`);

/**
 * A tenant's account plans (its prices to its own sub-accounts) and which sub-account is on which. Every
 * row is the tenant's (row-level security): another tenant's plan id is simply not found.
 */
export class AccountPlanRepository {
  constructor(private readonly db: Database) {}

  async create(
    tenantId: string,
    input: { id: string; name: string; currency: string },
    prices: billingV1.PlanPrices,
    effectiveFrom: Date,
  ): Promise<void> {
    await withTenant(this.db, tenantId, async (tx) => {
      const inserted = await tx
        .insert(accountPlans)
        .values({ tenantId, ...input })
        .onConflictDoNothing()
        .returning({ id: accountPlans.id });
      if (inserted.length === 0)
        throw alreadyExists('PLAN_EXISTS', `the tenant has an account plan with id ${input.id}`);
      await tx.insert(accountPlanVersions).values({
        tenantId,
        planId: input.id,
        version: 1,
        effectiveFrom,
        prices: billingV1.PlanPrices.toJSON(prices),
      });
    });
  }

  /** The next version under a lock on the plan row (two concurrent additions get 2 and 3, never both 2). */
  async addVersion(
    tenantId: string,
    planId: string,
    prices: billingV1.PlanPrices,
    effectiveFrom: Date,
    check: (latest: Date | undefined) => void,
  ): Promise<void> {
    await withTenant(this.db, tenantId, async (tx) => {
      const [plan] = await tx
        .select({ id: accountPlans.id })
        .from(accountPlans)
        .where(and(eq(accountPlans.tenantId, tenantId), eq(accountPlans.id, planId)))
        .for('update');
      if (!plan) throw planNotFound(planId);
      const [latest] = await tx
        .select({ version: accountPlanVersions.version, effectiveFrom: accountPlanVersions.effectiveFrom })
        .from(accountPlanVersions)
        .where(and(eq(accountPlanVersions.tenantId, tenantId), eq(accountPlanVersions.planId, planId)))
        .orderBy(desc(accountPlanVersions.version))
        .limit(1);
      check(latest?.effectiveFrom);
      await tx.insert(accountPlanVersions).values({
        tenantId,
        planId,
        version: (latest?.version ?? 0) + 1,
        effectiveFrom,
        prices: billingV1.PlanPrices.toJSON(prices),
      });
    });
  }

  /** One of the tenant's plans with its versions, oldest first. */
  async find(tx: Transaction, tenantId: string, planId: string): Promise<PlanWithVersions | undefined> {
    return (await this.read(tx, tenantId, planId))[0];
  }

  async list(tenantId: string): Promise<PlanWithVersions[]> {
    return withTenant(this.db, tenantId, (tx) => this.read(tx, tenantId));
  }

  private async read(tx: Transaction, tenantId: string, planId?: string): Promise<PlanWithVersions[]> {
    const plans = await tx
      .select()
      .from(accountPlans)
      .where(and(eq(accountPlans.tenantId, tenantId), planId ? eq(accountPlans.id, planId) : undefined))
      .orderBy(asc(accountPlans.id));
    if (plans.length === 0) return [];
    const versions = await tx
      .select()
      .from(accountPlanVersions)
      .where(
        and(
          eq(accountPlanVersions.tenantId, tenantId),
          planId ? eq(accountPlanVersions.planId, planId) : undefined,
        ),
      )
      .orderBy(asc(accountPlanVersions.planId), asc(accountPlanVersions.version));
    return plans.map((plan) => ({
      plan: { ...plan, isDefault: false },
      versions: versions.filter((row) => row.planId === plan.id).map((row) => ratePlan(plan, row)),
    }));
  }

  /**
   * Puts a sub-account on one of the tenant's plans (usage from now on is resold at it), or on none
   * (`planId` empty: its usage from now on is the tenant's only). A plan of another tenant is not found.
   */
  async assign(tenantId: string, accountId: string, planId: string): Promise<Date | undefined> {
    return withTenant(this.db, tenantId, async (tx) => {
      if (planId === '') {
        await tx
          .delete(accountPlanAssignments)
          .where(
            and(
              eq(accountPlanAssignments.tenantId, tenantId),
              eq(accountPlanAssignments.accountId, accountId),
            ),
          );
        return undefined;
      }
      const [plan] = await tx
        .select({ id: accountPlans.id })
        .from(accountPlans)
        .where(and(eq(accountPlans.tenantId, tenantId), eq(accountPlans.id, planId)));
      if (!plan) throw planNotFound(planId);
      const assignedAt = new Date();
      await tx
        .insert(accountPlanAssignments)
        .values({ tenantId, accountId, planId, assignedAt })
        .onConflictDoUpdate({
          target: [accountPlanAssignments.tenantId, accountPlanAssignments.accountId],
          set: { planId, assignedAt },
        });
      return assignedAt;
    });
  }

  /** The account plan a sub-account is on now and since when, if any. */
  async assignment(
    tx: Transaction,
    tenantId: string,
    accountId: string,
  ): Promise<{ planId: string; assignedAt: Date } | undefined> {
    const [row] = await tx
      .select({ planId: accountPlanAssignments.planId, assignedAt: accountPlanAssignments.assignedAt })
      .from(accountPlanAssignments)
      .where(
        and(eq(accountPlanAssignments.tenantId, tenantId), eq(accountPlanAssignments.accountId, accountId)),
      );
    return row;
  }

  /** The account plan a sub-account is on now, if any. */
  async assignedPlan(tx: Transaction, tenantId: string, accountId: string): Promise<string | undefined> {
    return (await this.assignment(tx, tenantId, accountId))?.planId;
  }

  /** The version of the sub-account's plan in force at `at`; undefined when the sub-account is not resold. */
  async planAt(
    tx: Transaction,
    tenantId: string,
    accountId: string,
    at: Date,
  ): Promise<RatePlan | undefined> {
    const planId = await this.assignedPlan(tx, tenantId, accountId);
    const found = planId ? await this.find(tx, tenantId, planId) : undefined;
    return found && versionAt(found.versions, at);
  }
}
