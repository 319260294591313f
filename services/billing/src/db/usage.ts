import { randomUUID } from 'node:crypto';
import { and, eq, gte, isNull, lt, or, sql } from 'drizzle-orm';
import type { Transaction } from '@parley/kit';
import { nextPeriod, periodOf, type Period } from '../domain/periods';
import type { RatePlan } from '../domain/plans';
import type { RatedLine } from '../domain/rating';
import type { WalletRepository } from './wallets';
import {
  billingNumbers,
  billingPeriods,
  usageRecords,
  type BillingNumberRow,
  type UsageSeller,
} from './schema';

export interface UsageSource {
  tenantId: string;
  accountId: string;
  reference: string;
  occurredAt: Date;
  /** The event type, or billing.number.rent for the monthly job. */
  sourceType: string;
  /** The event id, or rent:<number>:<period>: unique, so nothing is rated twice. */
  sourceId: string;
  /** The message's or call's parties, for the itemised invoice, when the event carries them. */
  partyFrom?: string;
  partyTo?: string;
}

/** Rated usage, billing periods and the numbers rent is charged for; every call in a tenant's transaction. */
export class UsageRepository {
  constructor(private readonly wallet?: WalletRepository) {}

  /**
   * The period usage at `at` belongs to: its own month, or the first open one after it when that month is
   * closed (its invoice issued). Takes a share lock on the period row, so a period cannot close between
   * this choice and the commit of the usage that chose it (closing takes the row for update).
   */
  async periodFor(tx: Transaction, tenantId: string, at: Date): Promise<Period> {
    let period = periodOf(at);
    for (;;) {
      await tx.insert(billingPeriods).values({ tenantId, period, state: 'open' }).onConflictDoNothing();
      const [row] = await tx
        .select({ state: billingPeriods.state })
        .from(billingPeriods)
        .where(and(eq(billingPeriods.tenantId, tenantId), eq(billingPeriods.period, period)))
        .for('share');
      if (row?.state === 'open') return period;
      period = nextPeriod(period);
    }
  }

  /**
   * Stores a rated line once per seller: a second record of the same source by the same seller is a no-op
   * (unique seller and source id). The platform's line (what the tenant owes Parley) moves the tenant's
   * wallet; the tenant's line to a resold sub-account (`seller` 'tenant', at its account plan) does not.
   * Answers whether it was stored.
   */
  async record(
    tx: Transaction,
    source: UsageSource,
    plan: RatePlan,
    line: RatedLine,
    seller: UsageSeller = 'platform',
  ): Promise<boolean> {
    const billingPeriod = await this.periodFor(tx, source.tenantId, source.occurredAt);
    const inserted = await tx
      .insert(usageRecords)
      .values({
        id: randomUUID(),
        tenantId: source.tenantId,
        accountId: source.accountId,
        category: line.category,
        reference: source.reference,
        country: line.country,
        occurredAt: source.occurredAt,
        billingPeriod,
        quantity: line.quantity,
        unit: line.unit,
        unitPrice: line.unitPrice.amount,
        currency: line.amount.currency,
        amountMinor: line.amount.minorUnits,
        planId: plan.planId,
        planVersion: plan.version,
        sourceType: source.sourceType,
        sourceId: source.sourceId,
        partyFrom: source.partyFrom ?? null,
        partyTo: source.partyTo ?? null,
        seller,
      })
      .onConflictDoNothing({ target: [usageRecords.seller, usageRecords.sourceId] })
      .returning({ id: usageRecords.id });
    if (inserted.length === 0) return false;
    // The wallet moves in the same transaction: a line is charged exactly when it is stored.
    if (seller === 'platform' && !line.amount.isZero())
      await this.wallet?.charge(source.tenantId, line.amount, source.reference, tx);
    return true;
  }

  async addNumber(tx: Transaction, number: Omit<BillingNumberRow, 'releasedAt'>): Promise<void> {
    await tx.insert(billingNumbers).values(number).onConflictDoNothing();
  }

  /** Marks the number released; answers false when billing does not know it (its assignment not applied yet). */
  async releaseNumber(tx: Transaction, tenantId: string, numberId: string, at: Date): Promise<boolean> {
    const known = await this.findNumber(tx, tenantId, numberId);
    if (!known) return false;
    await tx
      .update(billingNumbers)
      .set({ releasedAt: at })
      .where(
        and(
          eq(billingNumbers.tenantId, tenantId),
          eq(billingNumbers.numberId, numberId),
          isNull(billingNumbers.releasedAt),
        ),
      );
    return true;
  }

  /** Every tenant's numbers held at `at` (read as the platform, by the rent job). */
  async numbersHeldAt(platformTx: Transaction, at: Date): Promise<BillingNumberRow[]> {
    return platformTx
      .select()
      .from(billingNumbers)
      .where(
        and(
          lt(billingNumbers.assignedAt, at),
          or(isNull(billingNumbers.releasedAt), gte(billingNumbers.releasedAt, at)),
        ),
      );
  }

  async findNumber(
    tx: Transaction,
    tenantId: string,
    numberId: string,
  ): Promise<BillingNumberRow | undefined> {
    const [row] = await tx
      .select()
      .from(billingNumbers)
      .where(and(eq(billingNumbers.tenantId, tenantId), eq(billingNumbers.numberId, numberId)));
    return row;
  }

  /** Closes a period (the invoice step will call this when it issues the period's invoice). */
  async closePeriod(tx: Transaction, tenantId: string, period: Period): Promise<void> {
    await tx.insert(billingPeriods).values({ tenantId, period, state: 'open' }).onConflictDoNothing();
    await tx
      .update(billingPeriods)
      .set({ state: 'closed', closedAt: sql`now()` })
      .where(and(eq(billingPeriods.tenantId, tenantId), eq(billingPeriods.period, period)));
  }
}
