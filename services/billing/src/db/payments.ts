import { randomBytes } from 'node:crypto';
import { and, asc, desc, eq, gte, lt, ne, sql, type SQL } from 'drizzle-orm';
import {
  failedPrecondition,
  Money,
  notFound,
  withTenant,
  type Database,
  type Transaction,
} from '@parley/kit';
import type { CardDescription, ChargeResult } from '../domain/paymentProcessor';
import { nextTopUpStatus } from '../domain/topUps';
import type { Wallet } from '../domain/wallet';
import {
  paymentMethods,
  paymentWebhookEvents,
  refunds,
  topUps,
  type RefundRow,
  type TopUpRow,
  type TopUpStatus,
} from './paymentsSchema';

export type PaymentMethodRow = typeof paymentMethods.$inferSelect;

/** Parley's ids for payment records: a prefix and 24 random hex digits (`pm_…`, `tu_…`, `rf_…`, `ip_…`). */
export const newId = (prefix: 'pm' | 'tu' | 'rf' | 'ip') => `${prefix}_${randomBytes(12).toString('hex')}`;

/** What a list of top-ups or refunds is narrowed to, and where its page starts. */
export interface RecordFilter {
  status?: string;
  createdFrom?: Date;
  createdTo?: Date;
  /** The id of the last record of the previous page (its creation time is read in SQL, to the microsecond). */
  afterId?: string;
  limit: number;
}

function filterConditions(table: typeof topUps | typeof refunds, filter: RecordFilter): SQL[] {
  return [
    filter.status ? eq(table.status, filter.status as TopUpStatus) : undefined,
    filter.createdFrom ? gte(table.createdAt, filter.createdFrom) : undefined,
    filter.createdTo ? lt(table.createdAt, filter.createdTo) : undefined,
    filter.afterId
      ? sql`(${table.createdAt}, ${table.id}) < (select created_at, id from ${table} where id = ${filter.afterId})`
      : undefined,
  ].filter((condition): condition is SQL => condition !== undefined);
}

/** A top-up's wallet reference: one credit per top-up, ever. */
export const topUpReference = (topUpId: string) => `top-up:${topUpId}`;

/** Payment methods, top-ups and refunds of a tenant (every query under the tenant's RLS scope). */
export class PaymentRepository {
  constructor(
    private readonly db: Database,
    private readonly wallet: Wallet,
  ) {}

  /**
   * Stores a tokenised card; the same token again answers the stored method. The first method, or one
   * asked to be, is the default (the others stop being it, in the same transaction).
   */
  async addPaymentMethod(
    tenantId: string,
    input: {
      processor: string;
      token: string;
      card: CardDescription;
      makeDefault: boolean;
      /** The identity-provider user adding it, if a person signed in did (see `added_by`). */
      addedBy?: string;
    },
  ): Promise<PaymentMethodRow> {
    return withTenant(this.db, tenantId, async (tx) => {
      // One writer at a time per tenant, so two first methods cannot both become the default.
      await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`payment-methods:${tenantId}`}))`);
      const [existingDefault] = await tx
        .select({ id: paymentMethods.id })
        .from(paymentMethods)
        .where(and(eq(paymentMethods.tenantId, tenantId), eq(paymentMethods.isDefault, true)));
      const isDefault = input.makeDefault || !existingDefault;
      const [inserted] = await tx
        .insert(paymentMethods)
        .values({
          id: newId('pm'),
          tenantId,
          processor: input.processor,
          processorToken: input.token,
          brand: input.card.brand,
          last4: input.card.last4,
          expMonth: input.card.expMonth,
          expYear: input.card.expYear,
          isDefault: false,
          addedBy: input.addedBy ?? '',
        })
        .onConflictDoNothing()
        .returning();
      const row =
        inserted ??
        (
          await tx
            .select()
            .from(paymentMethods)
            .where(
              and(
                eq(paymentMethods.tenantId, tenantId),
                eq(paymentMethods.processor, input.processor),
                eq(paymentMethods.processorToken, input.token),
              ),
            )
        )[0]!;
      if (!isDefault || row.isDefault) return row;
      await tx
        .update(paymentMethods)
        .set({ isDefault: false })
        .where(and(eq(paymentMethods.tenantId, tenantId), ne(paymentMethods.id, row.id)));
      const [made] = await tx
        .update(paymentMethods)
        .set({ isDefault: true })
        .where(eq(paymentMethods.id, row.id))
        .returning();
      return made!;
    });
  }

  listPaymentMethods(tenantId: string): Promise<PaymentMethodRow[]> {
    return withTenant(this.db, tenantId, (tx) =>
      tx
        .select()
        .from(paymentMethods)
        .where(eq(paymentMethods.tenantId, tenantId))
        .orderBy(desc(paymentMethods.isDefault), asc(paymentMethods.createdAt), asc(paymentMethods.id)),
    );
  }

  /** The named method, or the default one when no id is given. */
  async paymentMethod(tenantId: string, id: string | undefined): Promise<PaymentMethodRow | undefined> {
    return withTenant(this.db, tenantId, (tx) => this.paymentMethodIn(tx, tenantId, id));
  }

  /** `paymentMethod` inside the caller's transaction. */
  async paymentMethodIn(
    tx: Transaction,
    tenantId: string,
    id: string | undefined,
  ): Promise<PaymentMethodRow | undefined> {
    const [row] = await tx
      .select()
      .from(paymentMethods)
      .where(
        and(
          eq(paymentMethods.tenantId, tenantId),
          id ? eq(paymentMethods.id, id) : eq(paymentMethods.isDefault, true),
        ),
      );
    return row;
  }

  /**
   * The method a charge goes to: the named one, or the default; NOT_FOUND for a named one the tenant does
   * not have, FAILED_PRECONDITION `PAYMENT_METHOD_REQUIRED` when it has none. In `tx` when given.
   */
  async methodToCharge(
    tenantId: string,
    id: string | undefined,
    tx?: Transaction,
  ): Promise<PaymentMethodRow> {
    const method = tx
      ? await this.paymentMethodIn(tx, tenantId, id || undefined)
      : await this.paymentMethod(tenantId, id || undefined);
    if (method) return method;
    if (id) throw notFound('PAYMENT_METHOD_NOT_FOUND', `no payment method ${id}`);
    throw failedPrecondition(
      'PAYMENT_METHOD_REQUIRED',
      'add a payment method first (POST /v1/payment-methods)',
    );
  }

  /**
   * The top-up of this request: created `pending` the first time, found again on a retry (same request
   * key), so a retried request charges with the same idempotency key and credits the same top-up.
   * `onClaimed` runs in the creating transaction (the settlement job is sent there).
   */
  async claimTopUp(
    tenantId: string,
    requestKey: string,
    input: { amount: Money; paymentMethodId: string },
    onClaimed?: (tx: Transaction, topUp: TopUpRow) => Promise<void>,
  ): Promise<TopUpRow> {
    return withTenant(this.db, tenantId, async (tx) => {
      const [inserted] = await tx
        .insert(topUps)
        .values({
          id: newId('tu'),
          tenantId,
          requestKey,
          paymentMethodId: input.paymentMethodId,
          amountMinor: input.amount.minorUnits,
          currency: input.amount.currency,
          status: 'pending',
        })
        .onConflictDoNothing()
        .returning();
      if (inserted) {
        await onClaimed?.(tx, inserted);
        return inserted;
      }
      const [existing] = await tx
        .select()
        .from(topUps)
        .where(and(eq(topUps.tenantId, tenantId), eq(topUps.requestKey, requestKey)));
      return existing!;
    });
  }

  /** A page of the tenant's top-ups, newest first (keyset on creation time and id), filtered. */
  listTopUps(tenantId: string, filter: RecordFilter): Promise<TopUpRow[]> {
    return withTenant(this.db, tenantId, (tx) =>
      tx
        .select()
        .from(topUps)
        .where(and(eq(topUps.tenantId, tenantId), ...filterConditions(topUps, filter)))
        .orderBy(desc(topUps.createdAt), desc(topUps.id))
        .limit(filter.limit),
    );
  }

  /** A page of the tenant's refunds, newest first (keyset on creation time and id), filtered. */
  listRefunds(tenantId: string, filter: RecordFilter): Promise<RefundRow[]> {
    return withTenant(this.db, tenantId, (tx) =>
      tx
        .select()
        .from(refunds)
        .where(and(eq(refunds.tenantId, tenantId), ...filterConditions(refunds, filter)))
        .orderBy(desc(refunds.createdAt), desc(refunds.id))
        .limit(filter.limit),
    );
  }

  async refund(tenantId: string, id: string): Promise<RefundRow | undefined> {
    const [row] = await withTenant(this.db, tenantId, (tx) =>
      tx
        .select()
        .from(refunds)
        .where(and(eq(refunds.tenantId, tenantId), eq(refunds.id, id))),
    );
    return row;
  }

  async topUp(tenantId: string, id: string): Promise<TopUpRow | undefined> {
    const [row] = await withTenant(this.db, tenantId, (tx) =>
      tx
        .select()
        .from(topUps)
        .where(and(eq(topUps.tenantId, tenantId), eq(topUps.id, id))),
    );
    return row;
  }

  /**
   * Applies what is known of the top-up's charge (the processor's answer, or a webhook) inside `tx`: the
   * status moves forward only (`nextTopUpStatus`), and the step into `succeeded` credits the wallet, once
   * per top-up by its reference. A charge id that is not the top-up's is ignored.
   */
  async settleTopUp(
    tx: Transaction,
    tenantId: string,
    topUpId: string,
    charge: ChargeResult,
  ): Promise<TopUpRow | undefined> {
    const [current] = await tx
      .select()
      .from(topUps)
      .where(and(eq(topUps.tenantId, tenantId), eq(topUps.id, topUpId)))
      .for('update');
    if (!current) return undefined;
    const change = chargeChange(current, charge);
    if (!change) return current;
    const [updated] = await tx.update(topUps).set(change).where(eq(topUps.id, topUpId)).returning();
    const next = change.status;
    if (next === 'succeeded')
      await this.wallet.credit(
        tx,
        tenantId,
        Money.of(current.amountMinor, current.currency),
        topUpReference(topUpId),
      );
    return updated!;
  }

  /** `settleTopUp` in a transaction of its own (the processor's synchronous answer). */
  async settleTopUpNow(tenantId: string, topUpId: string, charge: ChargeResult): Promise<TopUpRow> {
    const settled = await withTenant(this.db, tenantId, (tx) =>
      this.settleTopUp(tx, tenantId, topUpId, charge),
    );
    if (!settled) throw new Error(`top-up ${topUpId} vanished`);
    return settled;
  }

  /** Runs `work` for a processor webhook event once: not at all when the event was handled before. */
  onceForEvent(
    tenantId: string,
    event: { id: string; type: string },
    work: (tx: Transaction) => Promise<void>,
  ): Promise<'applied' | 'duplicate'> {
    return withTenant(this.db, tenantId, async (tx) => {
      if (!(await this.firstDelivery(tx, tenantId, event.id, event.type))) return 'duplicate';
      await work(tx);
      return 'applied';
    });
  }

  /**
   * Records a processor webhook event as handled, in `tx`: true the first time, false for a copy (the
   * caller then does nothing).
   */
  async firstDelivery(tx: Transaction, tenantId: string, eventId: string, type: string): Promise<boolean> {
    const inserted = await tx
      .insert(paymentWebhookEvents)
      .values({ eventId, tenantId, type })
      .onConflictDoNothing()
      .returning({ eventId: paymentWebhookEvents.eventId });
    return inserted.length > 0;
  }

  /**
   * Starts a refund of (part of) a succeeded top-up, in one transaction: the refund `pending`, the amount
   * taken off what is left of the top-up and debited from the wallet (so it cannot be spent meanwhile).
   * A retry of the same request finds the refund it started. Refusals are returned as a reason, and
   * change nothing.
   */
  async startRefund(
    tenantId: string,
    requestKey: string,
    input: { topUpId: string; amountMinor?: bigint; currency?: string; reason: string },
  ): Promise<
    | { outcome: 'started' | 'existing'; refund: RefundRow; chargeId: string }
    | {
        outcome: 'not_found' | 'not_refundable' | 'exceeds_top_up' | 'exceeds_balance' | 'currency_mismatch';
        detail: string;
      }
  > {
    return withTenant(this.db, tenantId, async (tx) => {
      const [existing] = await tx
        .select()
        .from(refunds)
        .where(and(eq(refunds.tenantId, tenantId), eq(refunds.requestKey, requestKey)));
      const [topUp] = await tx
        .select()
        .from(topUps)
        .where(and(eq(topUps.tenantId, tenantId), eq(topUps.id, existing?.topUpId ?? input.topUpId)))
        .for('update');
      if (!topUp) return { outcome: 'not_found', detail: `no top-up ${input.topUpId}` };
      if (existing) return { outcome: 'existing', refund: existing, chargeId: topUp.chargeId ?? '' };
      if (topUp.status !== 'succeeded' || !topUp.chargeId)
        return {
          outcome: 'not_refundable',
          detail: `top-up ${topUp.id} is ${topUp.status}; only a succeeded one is refunded`,
        };
      if (input.currency !== undefined && input.currency !== topUp.currency)
        return {
          outcome: 'currency_mismatch',
          detail: `amount must be in the top-up's currency, ${topUp.currency}`,
        };
      const left = topUp.amountMinor - topUp.refundedMinor;
      const amountMinor = input.amountMinor ?? left;
      if (amountMinor <= 0n || amountMinor > left)
        return {
          outcome: 'exceeds_top_up',
          detail: `${amountMinor} minor units is more than what is left to refund of top-up ${topUp.id} (${left})`,
        };
      const balance = await this.wallet.balance(tx, tenantId);
      if (balance < amountMinor)
        return {
          outcome: 'exceeds_balance',
          detail: `the wallet holds ${balance} minor units, less than the ${amountMinor} to refund (the rest was spent)`,
        };
      const [refund] = await tx
        .insert(refunds)
        .values({
          id: newId('rf'),
          tenantId,
          requestKey,
          topUpId: topUp.id,
          amountMinor,
          currency: topUp.currency,
          status: 'pending',
          reason: input.reason,
        })
        .returning();
      await tx
        .update(topUps)
        .set({ refundedMinor: topUp.refundedMinor + amountMinor, updatedAt: new Date() })
        .where(eq(topUps.id, topUp.id));
      await this.wallet.debit(tx, tenantId, Money.of(amountMinor, topUp.currency), `refund:${refund!.id}`);
      return { outcome: 'started', refund: refund!, chargeId: topUp.chargeId };
    });
  }

  /** The processor refunded it: `succeeded` (once; a later copy of the news changes nothing). */
  async refundSucceeded(
    tx: Transaction,
    tenantId: string,
    refundId: string,
    processorRefundId: string,
  ): Promise<RefundRow | undefined> {
    const [updated] = await tx
      .update(refunds)
      .set({ status: 'succeeded', processorRefundId, updatedAt: new Date() })
      .where(and(eq(refunds.tenantId, tenantId), eq(refunds.id, refundId), eq(refunds.status, 'pending')))
      .returning();
    if (updated) return updated;
    const [current] = await tx
      .select()
      .from(refunds)
      .where(and(eq(refunds.tenantId, tenantId), eq(refunds.id, refundId)));
    return current;
  }

  refundSucceededNow(
    tenantId: string,
    refundId: string,
    processorRefundId: string,
  ): Promise<RefundRow | undefined> {
    return withTenant(this.db, tenantId, (tx) =>
      this.refundSucceeded(tx, tenantId, refundId, processorRefundId),
    );
  }

  /**
   * The processor refused a pending refund: `failed`, and what `startRefund` took is given back (to the
   * top-up and, once, to the wallet).
   */
  refundRefused(tenantId: string, refundId: string): Promise<RefundRow | undefined> {
    return withTenant(this.db, tenantId, async (tx) => {
      const [failed] = await tx
        .update(refunds)
        .set({ status: 'failed', updatedAt: new Date() })
        .where(and(eq(refunds.tenantId, tenantId), eq(refunds.id, refundId), eq(refunds.status, 'pending')))
        .returning();
      if (!failed) return undefined;
      await tx
        .update(topUps)
        .set({ refundedMinor: sql`${topUps.refundedMinor} - ${failed.amountMinor}`, updatedAt: new Date() })
        .where(eq(topUps.id, failed.topUpId));
      await this.wallet.credit(
        tx,
        tenantId,
        Money.of(failed.amountMinor, failed.currency),
        `refund-reversal:${refundId}`,
      );
      return failed;
    });
  }
}

/**
 * What the news of a charge changes on a record paid by it (a top-up, an invoice payment): the charge id
 * once known, and the status forward only (`nextTopUpStatus`) with the decline reason or the 3-D Secure
 * link. `undefined` when nothing changes (old or repeated news, or a charge that is not the record's).
 */
export function chargeChange(
  current: { status: TopUpStatus; chargeId: string | null },
  charge: ChargeResult,
):
  | {
      status?: TopUpStatus;
      chargeId: string | null;
      failureCode?: string | null;
      failureMessage?: string | null;
      nextActionUrl?: string | null;
      updatedAt: Date;
    }
  | undefined {
  if (current.chargeId && charge.chargeId && current.chargeId !== charge.chargeId) return undefined;
  const next = nextTopUpStatus(current.status, charge);
  // A charge id '' is news of no charge at all (NEVER_CHARGED): the record keeps none.
  const chargeId = charge.chargeId || null;
  if (!next) return current.chargeId || !chargeId ? undefined : { chargeId, updatedAt: new Date() };
  return {
    status: next,
    chargeId,
    failureCode: charge.status === 'failed' ? charge.failureCode : null,
    failureMessage: charge.status === 'failed' ? charge.failureMessage : null,
    nextActionUrl: charge.status === 'requires_action' ? charge.actionUrl : null,
    updatedAt: new Date(),
  };
}
