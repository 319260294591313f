import { randomUUID } from 'node:crypto';
import { and, asc, desc, eq, gt, inArray, sql } from 'drizzle-orm';
import {
  failedPrecondition,
  notFound,
  parseDecimal,
  withTenant,
  type Database,
  type Transaction,
} from '@parley/kit';
import { creditNoteNumber, invoiceNumber, invoiceTotals } from '../domain/invoices';
import { periodBounds, type Period } from '../domain/periods';
import { versionAt, type RatePlan } from '../domain/plans';
import type { AccountPlanRepository } from './accountPlans';
import type { AccountRepository } from './accounts';
import type { PlanRepository } from './plans';
import type { UsageRepository } from './usage';
import { billingPeriods, usageRecords } from './schema';
import { invoicePayments } from './paymentsSchema';
import {
  billingProfiles,
  invoiceCounters,
  invoiceLines,
  invoices,
  type InvoiceLineRow,
  type InvoiceParty,
  type InvoiceRow,
} from './invoiceSchema';

/** Days between issue and due date. */
const PAYMENT_TERMS_DAYS = 14;

export interface InvoiceDeps {
  db: Database;
  accounts: AccountRepository;
  plans: PlanRepository;
  accountPlans: AccountPlanRepository;
  usage: UsageRepository;
  /** The platform operator, printed as the seller of every tenant's invoice. */
  seller: InvoiceParty;
  now: () => Date;
  /**
   * Runs in the issuing transaction for each invoice a postpaid tenant owes for itself (account '', a total
   * above zero): where its charge is scheduled, so the job exists if and only if the invoice does.
   */
  onIssuedPostpaid?: (tx: Transaction, invoice: InvoiceRow) => Promise<void>;
}

/** Invoices and credit notes: issued from rated usage, numbered gaplessly per tenant and month. */
export class InvoiceRepository {
  constructor(private readonly deps: InvoiceDeps) {}

  /** Tenants with an open period that ends at or before `endsBy` (what an invoice run must close). */
  async periodsDue(endsBy: Date): Promise<{ tenantId: string; period: Period }[]> {
    return withTenant(this.deps.db, 'platform', async (tx) => {
      const rows = await tx
        .select({ tenantId: billingPeriods.tenantId, period: billingPeriods.period })
        .from(billingPeriods)
        .where(eq(billingPeriods.state, 'open'))
        .orderBy(asc(billingPeriods.period), asc(billingPeriods.tenantId));
      return rows.filter((row) => periodBounds(row.period).end.getTime() <= endsBy.getTime());
    });
  }

  /** Tenants with rated usage in `period` or an open row for it (an on-demand run covers them all). */
  async tenantsWithPeriod(period: Period): Promise<string[]> {
    return withTenant(this.deps.db, 'platform', async (tx) => {
      const rows = await tx
        .selectDistinct({ tenantId: billingPeriods.tenantId })
        .from(billingPeriods)
        .where(and(eq(billingPeriods.period, period), eq(billingPeriods.state, 'open')));
      return rows.map((row) => row.tenantId);
    });
  }

  /**
   * Closes the tenant's period and issues one invoice per account that has usage in it, in one
   * transaction. The month's counter row is taken for update first, so a concurrent run for the same
   * tenant waits, then finds the invoices issued and adds none; closing the period waits for rating
   * transactions holding it (share lock) and sends later usage to the next period. Numbers come from the
   * counter updated in this transaction: a rollback leaves no gap. Answers the invoices issued now.
   */
  async issuePeriod(tenantId: string, period: Period): Promise<InvoiceRow[]> {
    return withTenant(this.deps.db, tenantId, async (tx) => {
      await tx.insert(invoiceCounters).values({ tenantId, period, lastNumber: 0 }).onConflictDoNothing();
      const [counter] = await tx
        .select()
        .from(invoiceCounters)
        .where(and(eq(invoiceCounters.tenantId, tenantId), eq(invoiceCounters.period, period)))
        .for('update');
      await this.deps.usage.closePeriod(tx, tenantId, period);
      // The tenant's own invoice ('') holds every line the platform sold it (its sub-accounts' usage too);
      // a resold sub-account gets the tenant's invoice of the lines the tenant sold it.
      const accountRows = (
        await tx.execute<{ accountId: string }>(sql`
          select distinct case when seller = 'platform' then '' else account_id end as "accountId"
            from usage_records
           where tenant_id = ${tenantId} and billing_period = ${period}
           order by 1`)
      ).rows;
      const issued = await tx
        .select({ accountId: invoices.accountId })
        .from(invoices)
        .where(
          and(eq(invoices.tenantId, tenantId), eq(invoices.period, period), eq(invoices.kind, 'invoice')),
        );
      const done = new Set(issued.map((row) => row.accountId));
      let last = counter!.lastNumber;
      const created: InvoiceRow[] = [];
      for (const { accountId } of accountRows) {
        if (done.has(accountId)) continue;
        last += 1;
        created.push(await this.issueOne(tx, tenantId, accountId, period, last));
      }
      if (last !== counter!.lastNumber) {
        await tx
          .update(invoiceCounters)
          .set({ lastNumber: last })
          .where(and(eq(invoiceCounters.tenantId, tenantId), eq(invoiceCounters.period, period)));
      }
      return created;
    });
  }

  private async issueOne(
    tx: Transaction,
    tenantId: string,
    accountId: string,
    period: Period,
    sequence: number,
  ): Promise<InvoiceRow> {
    const { account, tenantProfile, profile, taxCountry, taxPercent } = await this.terms(
      tx,
      tenantId,
      accountId,
      period,
    );
    const id = randomUUID();
    const now = this.deps.now();
    const number = invoiceNumber(tenantProfile?.invoicePrefix ?? 'INV', period, sequence);
    // The invoice first (zero totals), then its lines copied in SQL, in time order: nothing held in memory.
    await tx.insert(invoices).values({
      id,
      tenantId,
      accountId,
      kind: 'invoice',
      period,
      number,
      state: 'issued',
      currency: account.currency,
      subtotals: {},
      subtotalMinor: 0n,
      taxCountry,
      taxPercent,
      taxMinor: 0n,
      totalMinor: 0n,
      // The platform invoices the tenant; a tenant invoices its own sub-accounts (it is their seller).
      seller: accountId === '' ? this.deps.seller : partyOf(tenantProfile, tenantId, ''),
      buyer: partyOf(profile, tenantId, accountId),
      issuedAt: now,
      dueAt: new Date(now.getTime() + PAYMENT_TERMS_DAYS * 86_400_000),
    });
    await tx.execute(sql`
      insert into invoice_lines (invoice_id, line_no, tenant_id, category, usage_id, reference, occurred_at,
        party_from, party_to, country, quantity, unit, unit_price, amount_minor)
      select ${id}::uuid, row_number() over (order by occurred_at, id), tenant_id, category, id, reference,
        occurred_at, party_from, party_to, country, quantity, unit, unit_price, amount_minor
      from usage_records
      where tenant_id = ${tenantId} and billing_period = ${period} and ${soldTo(accountId)}`);
    const sums = await tx
      .select({
        category: invoiceLines.category,
        minor: sql<string>`sum(${invoiceLines.amountMinor})::text`,
        lines: sql<number>`count(*)::int`,
      })
      .from(invoiceLines)
      .where(eq(invoiceLines.invoiceId, id))
      .groupBy(invoiceLines.category);
    const totals = invoiceTotals(
      account.currency,
      Object.fromEntries(sums.map((row) => [row.category, BigInt(row.minor)])),
      taxPercent,
    );
    const [row] = await tx
      .update(invoices)
      .set({
        subtotals: Object.fromEntries(
          Object.entries(totals.subtotals).map(([category, money]) => [category, String(money.minorUnits)]),
        ),
        subtotalMinor: totals.subtotal.minorUnits,
        taxMinor: totals.tax.minorUnits,
        totalMinor: totals.total.minorUnits,
        lineCount: sums.reduce((count, row) => count + row.lines, 0),
      })
      .where(eq(invoices.id, id))
      .returning();
    if (accountId === '' && account.billingMode === 'postpaid' && row!.totalMinor > 0n)
      await this.deps.onIssuedPostpaid?.(tx, row!);
    return row!;
  }

  /** The account, the buyer's and the tenant's profiles, and the tax the period is invoiced with. */
  private async terms(tx: Transaction, tenantId: string, accountId: string, period: Period) {
    const account = await this.deps.accounts.inTransaction(tx, tenantId);
    if (!account)
      throw notFound('BILLING_ACCOUNT_NOT_FOUND', `tenant ${tenantId} has no billing account yet`);
    const tenantProfile = await this.profile(tx, tenantId, '');
    const profile = accountId === '' ? tenantProfile : await this.profile(tx, tenantId, accountId);
    const taxCountry = profile?.country ?? tenantProfile?.country ?? null;
    const versions =
      accountId === ''
        ? account.planId
          ? (await this.deps.plans.find(account.planId, tx))?.versions
          : undefined
        : await this.resalePlan(tx, tenantId, accountId, period);
    const taxPercent = taxPercentOf(versions, period, taxCountry);
    return { account, tenantProfile, profile, taxCountry, taxPercent };
  }

  /**
   * The account plan a resold sub-account's invoice is taxed by: the plan its latest line of the period was
   * rated at, else (no line yet: a draft) the plan it is on now.
   */
  private async resalePlan(tx: Transaction, tenantId: string, accountId: string, period: Period) {
    const [latest] = await tx
      .select({ planId: usageRecords.planId })
      .from(usageRecords)
      .where(
        and(eq(usageRecords.tenantId, tenantId), eq(usageRecords.billingPeriod, period), soldTo(accountId)),
      )
      .orderBy(desc(usageRecords.occurredAt))
      .limit(1);
    const planId = latest?.planId ?? (await this.deps.accountPlans.assignedPlan(tx, tenantId, accountId));
    return planId ? (await this.deps.accountPlans.find(tx, tenantId, planId))?.versions : undefined;
  }

  /**
   * What the period's invoice holds so far, computed from rated usage and stored nowhere: no id, no number
   * (numbers are assigned at issue only), state `draft`. Its lines are the usage (`GET /v1/usage`).
   */
  async draft(tx: Transaction, tenantId: string, accountId: string, period: Period): Promise<InvoiceRow> {
    const { account, tenantProfile, profile, taxCountry, taxPercent } = await this.terms(
      tx,
      tenantId,
      accountId,
      period,
    );
    const sums = await tx
      .select({
        category: usageRecords.category,
        minor: sql<string>`sum(${usageRecords.amountMinor})::text`,
        lines: sql<number>`count(*)::int`,
      })
      .from(usageRecords)
      .where(
        and(eq(usageRecords.tenantId, tenantId), eq(usageRecords.billingPeriod, period), soldTo(accountId)),
      )
      .groupBy(usageRecords.category);
    const totals = invoiceTotals(
      account.currency,
      Object.fromEntries(sums.map((row) => [row.category, BigInt(row.minor)])),
      taxPercent,
    );
    const now = this.deps.now();
    return {
      id: '',
      tenantId,
      accountId,
      kind: 'invoice',
      period,
      number: '',
      state: 'draft' as InvoiceRow['state'],
      creditsInvoiceId: null,
      creditNoteCount: 0,
      currency: account.currency,
      subtotals: Object.fromEntries(
        Object.entries(totals.subtotals).map(([category, money]) => [category, String(money.minorUnits)]),
      ),
      subtotalMinor: totals.subtotal.minorUnits,
      taxCountry,
      taxPercent,
      taxMinor: totals.tax.minorUnits,
      totalMinor: totals.total.minorUnits,
      paidMinor: 0n,
      lineCount: sums.reduce((count, row) => count + row.lines, 0),
      seller: accountId === '' ? this.deps.seller : partyOf(tenantProfile, tenantId, ''),
      buyer: partyOf(profile, tenantId, accountId),
      reason: '',
      issuedAt: now,
      dueAt: now,
      paidAt: null,
      voidedAt: null,
      anonymisedAt: null,
    };
  }

  /** Whether the tenant's period is still open (a draft), as rating sees it. */
  async isOpen(tx: Transaction, tenantId: string, period: Period): Promise<boolean> {
    const [row] = await tx
      .select({ state: billingPeriods.state })
      .from(billingPeriods)
      .where(and(eq(billingPeriods.tenantId, tenantId), eq(billingPeriods.period, period)));
    return row?.state !== 'closed';
  }

  private async profile(tx: Transaction, tenantId: string, accountId: string) {
    const [row] = await tx
      .select()
      .from(billingProfiles)
      .where(and(eq(billingProfiles.tenantId, tenantId), eq(billingProfiles.accountId, accountId)));
    return row;
  }

  async find(tx: Transaction, id: string): Promise<InvoiceRow | undefined> {
    const [row] = await tx.select().from(invoices).where(eq(invoices.id, id));
    return row;
  }

  /** The tenant's invoices, newest first, a page at a time (keyset on issue time and id). */
  async list(tx: Transaction, tenantId: string, limit: number, after?: { issuedAt: Date; id: string }) {
    return tx
      .select()
      .from(invoices)
      .where(
        and(
          eq(invoices.tenantId, tenantId),
          after
            ? sql`(${invoices.issuedAt}, ${invoices.id}) < (${after.issuedAt}, ${after.id}::uuid)`
            : undefined,
        ),
      )
      .orderBy(desc(invoices.issuedAt), desc(invoices.id))
      .limit(limit);
  }

  /** One page of an invoice's lines after `afterLine`: how the PDF reads 100,000 lines a page at a time. */
  async lines(
    tx: Transaction,
    invoiceId: string,
    afterLine: number,
    limit: number,
  ): Promise<InvoiceLineRow[]> {
    return tx
      .select()
      .from(invoiceLines)
      .where(and(eq(invoiceLines.invoiceId, invoiceId), gt(invoiceLines.lineNo, afterLine)))
      .orderBy(asc(invoiceLines.lineNo))
      .limit(limit);
  }

  /**
   * Records a payment inside `tx` (an invoice payment stepping into `succeeded`); the invoice is paid once
   * the total is covered.
   */
  async recordPayment(
    tx: Transaction,
    tenantId: string,
    id: string,
    amountMinor: bigint,
  ): Promise<InvoiceRow> {
    const invoice = await this.forUpdate(tx, id);
    if (invoice.state === 'void') throw failedPrecondition('INVOICE_VOID', `invoice ${id} is void`);
    const paid = invoice.paidMinor + amountMinor;
    const [row] = await tx
      .update(invoices)
      .set({
        paidMinor: paid,
        ...(paid >= invoice.totalMinor ? { state: 'paid' as const, paidAt: this.deps.now() } : {}),
      })
      .where(and(eq(invoices.tenantId, tenantId), eq(invoices.id, id)))
      .returning();
    return row!;
  }

  /** Voids an issued invoice on which nothing was paid (its number stays used: no gap). */
  async void(tenantId: string, id: string, reason: string): Promise<InvoiceRow> {
    return withTenant(this.deps.db, tenantId, async (tx) => {
      const invoice = await this.forUpdate(tx, id);
      // A charge in flight may still succeed: an invoice being paid cannot be voided under it.
      const [charging] = await tx
        .select({ id: invoicePayments.id })
        .from(invoicePayments)
        .where(
          and(
            eq(invoicePayments.invoiceId, id),
            inArray(invoicePayments.status, ['pending', 'requires_action', 'succeeded']),
          ),
        );
      if (charging) {
        throw failedPrecondition(
          'INVOICE_NOT_VOIDABLE',
          `invoice ${id} is being paid or was paid (payment ${charging.id}): only an unpaid issued invoice can be voided`,
        );
      }
      if (invoice.state !== 'issued' || invoice.paidMinor > 0n) {
        throw failedPrecondition(
          'INVOICE_NOT_VOIDABLE',
          `invoice ${id} is ${invoice.state}${invoice.paidMinor > 0n ? ' with a payment' : ''}: only an unpaid issued invoice can be voided`,
        );
      }
      const [row] = await tx
        .update(invoices)
        .set({ state: 'void', voidedAt: this.deps.now(), reason })
        .where(eq(invoices.id, id))
        .returning();
      return row!;
    });
  }

  /**
   * A correction: a credit note `<invoice>-CNnn` for `subtotalMinor` (positive: the amount credited) with
   * the invoice's tax rate, referencing it. The invoice itself is never edited (only its note counter).
   */
  async creditNote(tenantId: string, id: string, subtotalMinor: bigint, reason: string): Promise<InvoiceRow> {
    return withTenant(this.deps.db, tenantId, async (tx) => {
      const invoice = await this.forUpdate(tx, id);
      if (invoice.kind !== 'invoice' || invoice.state === 'void') {
        throw failedPrecondition('INVOICE_NOT_CREDITABLE', `only an issued or paid invoice can be credited`);
      }
      if (subtotalMinor <= 0n || subtotalMinor > invoice.subtotalMinor) {
        throw failedPrecondition(
          'CREDIT_AMOUNT_INVALID',
          'the credit must be positive and at most the subtotal',
        );
      }
      const sequence = invoice.creditNoteCount + 1;
      await tx.update(invoices).set({ creditNoteCount: sequence }).where(eq(invoices.id, id));
      const totals = invoiceTotals(invoice.currency, { credit: -subtotalMinor }, invoice.taxPercent);
      const now = this.deps.now();
      const [row] = await tx
        .insert(invoices)
        .values({
          id: randomUUID(),
          tenantId,
          accountId: invoice.accountId,
          kind: 'credit_note',
          period: invoice.period,
          number: creditNoteNumber(invoice.number, sequence),
          state: 'issued',
          creditsInvoiceId: invoice.id,
          currency: invoice.currency,
          subtotals: { credit: String(-subtotalMinor) },
          subtotalMinor: totals.subtotal.minorUnits,
          taxCountry: invoice.taxCountry,
          taxPercent: invoice.taxPercent,
          taxMinor: totals.tax.minorUnits,
          totalMinor: totals.total.minorUnits,
          seller: invoice.seller,
          buyer: invoice.buyer,
          reason,
          issuedAt: now,
          dueAt: now,
        })
        .returning();
      return row!;
    });
  }

  private async forUpdate(tx: Transaction, id: string): Promise<InvoiceRow> {
    const [row] = await tx.select().from(invoices).where(eq(invoices.id, id)).for('update');
    if (!row) throw notFound('INVOICE_NOT_FOUND', `no invoice has id ${id}`);
    return row;
  }

  /** Sets (or replaces) the billing profile of the tenant or one of its accounts. */
  async saveProfile(
    tenantId: string,
    profile: Partial<Omit<typeof billingProfiles.$inferInsert, 'tenantId'>> & { accountId: string },
  ): Promise<void> {
    await withTenant(this.deps.db, tenantId, (tx) =>
      tx
        .insert(billingProfiles)
        .values({ ...profile, tenantId })
        .onConflictDoUpdate({
          target: [billingProfiles.tenantId, billingProfiles.accountId],
          set: { ...profile, updatedAt: new Date() },
        }),
    );
  }
}

/**
 * The lines an account's invoice holds: the tenant's own invoice ('') every line the platform sold it, a
 * sub-account's invoice the lines the tenant sold that sub-account at its account plan.
 */
function soldTo(accountId: string) {
  return accountId === ''
    ? sql`${usageRecords.seller} = 'platform'`
    : sql`${usageRecords.seller} = 'tenant' and ${usageRecords.accountId} = ${accountId}`;
}

/** The plan's tax percent for the billing country, from the version in force at the period's end. */
function taxPercentOf(versions: readonly RatePlan[] | undefined, period: Period, country: string | null) {
  const version = versions && versionAt(versions, new Date(periodBounds(period).end.getTime() - 1));
  const tax = version?.prices.taxPercent;
  const text = (country && tax?.byCountry[country]) || tax?.defaultPrice || '0';
  return parseDecimal(text, { field: 'taxPercent', maxScale: 9 });
}

function partyOf(
  profile: { name: string; address: string; country: string | null; taxId: string } | undefined,
  tenantId: string,
  accountId: string,
): InvoiceParty {
  return {
    name: profile?.name || (accountId ? `${tenantId} / ${accountId}` : tenantId),
    address: profile?.address ?? '',
    country: profile?.country ?? '',
    taxId: profile?.taxId ?? '',
  };
}
