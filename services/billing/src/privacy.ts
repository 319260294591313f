import { randomBytes } from 'node:crypto';
import { and, asc, eq, gt, inArray, isNotNull, lt, or, sql, type SQL } from 'drizzle-orm';
import {
  invalidArgument,
  receiptLine,
  type CategoryReceipt,
  type DataCategory,
  type PrivacyParticipant,
  type SubjectIdentifiers,
  type Transaction,
} from '@parley/kit';
import { billingProfiles, invoiceLines, invoices } from './db/invoiceSchema';
import { paymentMethods, topUps } from './db/paymentsSchema';
import { usageRecords } from './db/schema';
import type { PaymentProcessor } from './domain/paymentProcessor';

/** Seven years (365.25 days each): the default legal retention of financial records after the customer leaves. */
export const FINANCIAL_RETENTION_DAYS = 2557;

const FINANCIAL_OBLIGATION =
  "tax and accounting law of the tenant's billing country (default: 7 years after the customer leaves) obliges keeping invoices and the usage they bill; erasure anonymises them and keeps amounts, dates, invoice numbers and tax";

/** What erasure replaces a name or a phone number with on records the law obliges billing to keep. */
export const ERASED = '[erased]';

/**
 * One category of billing's data, as a participant part: billing composes its participant from these, so
 * a later category (the payments step's payment-method metadata) joins by adding a part (see
 * `billingParticipant(extraParts)`), with its own export stage and receipt line.
 */
export interface BillingPrivacyPart {
  category: DataCategory;
  /** One page of the subject's records after `cursor` (opaque to the others); `next` while there are more. */
  export(
    tx: Transaction,
    subject: SubjectIdentifiers,
    limit: number,
    cursor: string,
  ): Promise<{ records: Record<string, unknown>[]; next?: string }>;
  /** How many of the subject's records it holds (restriction, legal hold). */
  count(tx: Transaction, subject: SubjectIdentifiers): Promise<number>;
  /** Deletes or anonymises; `pseudonym` replaces the subject's account id wherever a record is kept. */
  erase(tx: Transaction, subject: SubjectIdentifiers, pseudonym: string): Promise<CategoryReceipt>;
  rectify?(tx: Transaction, subject: SubjectIdentifiers, changes: Corrections): Promise<number>;
  /** Deletes what retention allows: records older than `before` of a tenant that left before `before`. */
  purge(tx: Transaction, before: Date): Promise<number>;
}

interface Corrections {
  fullName?: string;
  email?: string;
}

const none = sql`false`;
const any = (clauses: SQL[]) => (clauses.length > 0 ? or(...clauses)! : none);

/** The tenant left (its own billing profile closed) before `before`: only then may its records go. */
const tenantLeftBefore = (before: Date) =>
  sql`exists (select 1 from billing_profiles p where p.tenant_id = current_setting('app.tenant_id', true)
      and p.account_id = '' and p.closed_at is not null and p.closed_at < ${before})`;

const profilesOf = (subject: SubjectIdentifiers) =>
  any([
    ...(subject.accountIds.length ? [inArray(billingProfiles.accountId, subject.accountIds)] : []),
    ...(subject.emails.length ? [inArray(billingProfiles.email, subject.emails)] : []),
  ]);

const usageOf = (subject: SubjectIdentifiers) =>
  any([
    ...(subject.accountIds.length ? [inArray(usageRecords.accountId, subject.accountIds)] : []),
    ...(subject.phones.length
      ? [inArray(usageRecords.partyFrom, subject.phones), inArray(usageRecords.partyTo, subject.phones)]
      : []),
  ]);

const invoicesOf = (subject: SubjectIdentifiers) =>
  subject.accountIds.length ? inArray(invoices.accountId, subject.accountIds) : none;

const linesOf = (subject: SubjectIdentifiers) =>
  subject.phones.length
    ? or(inArray(invoiceLines.partyFrom, subject.phones), inArray(invoiceLines.partyTo, subject.phones))!
    : none;

const countOf = async (tx: Transaction, query: Promise<{ n: number }[]>) => Number((await query)[0]?.n ?? 0);
const counted = sql<number>`count(*)::int`;

const profilePart: BillingPrivacyPart = {
  category: {
    id: 'billing_profile',
    description: 'Whom invoices are addressed to: name, postal address, email, tax id and billing country',
    subjects: ['account holders', "a tenant's own customers (sub-accounts) it bills"],
    purpose: 'Address invoices and choose their tax rate',
    legalBasis: 'contract',
    retention: 'while the account is a customer; 7 years after it leaves, with its invoices',
    legalObligation: '',
    defaultRetentionDays: FINANCIAL_RETENTION_DAYS,
    consentPurposes: [],
  },
  async export(tx, subject, limit, cursor) {
    const rows = await tx
      .select()
      .from(billingProfiles)
      .where(and(profilesOf(subject), cursor ? gt(billingProfiles.accountId, cursor) : undefined))
      .orderBy(asc(billingProfiles.accountId))
      .limit(limit + 1);
    const page = rows.slice(0, limit);
    return {
      records: page.map((row) => ({
        accountId: row.accountId,
        name: row.name,
        address: row.address,
        email: row.email,
        country: row.country,
        taxId: row.taxId,
        updatedAt: row.updatedAt.toISOString(),
      })),
      ...(rows.length > limit ? { next: page[page.length - 1]!.accountId } : {}),
    };
  },
  count: (tx, subject) =>
    countOf(tx, tx.select({ n: counted }).from(billingProfiles).where(profilesOf(subject))),
  async erase(tx, subject) {
    // Not itself a record the law asks for: the invoices carry the buyer as printed (anonymised there).
    const gone = await tx
      .delete(billingProfiles)
      .where(profilesOf(subject))
      .returning({ id: billingProfiles.accountId });
    return receiptLine('billing_profile', { deleted: String(gone.length) });
  },
  async rectify(tx, subject, changes) {
    const set = {
      ...(changes.fullName !== undefined ? { name: changes.fullName } : {}),
      ...(changes.email !== undefined ? { email: changes.email } : {}),
    };
    if (Object.keys(set).length === 0) return 0;
    const rows = await tx
      .update(billingProfiles)
      .set({ ...set, updatedAt: new Date() })
      .where(profilesOf(subject))
      .returning({ id: billingProfiles.accountId });
    return rows.length;
  },
  async purge(tx, before) {
    const gone = await tx
      .delete(billingProfiles)
      .where(and(isNotNull(billingProfiles.closedAt), lt(billingProfiles.closedAt, before)))
      .returning({ id: billingProfiles.accountId });
    return gone.length;
  },
};

const usagePart: BillingPrivacyPart = {
  category: {
    id: 'usage_records',
    description:
      'Rated usage: each message, call and number charged, with its time, quantity, price, the sub-account and the parties (phone numbers)',
    subjects: ['account holders', 'people messages and calls were exchanged with'],
    purpose: 'Charge usage and itemise invoices',
    legalBasis: 'contract; legal obligation',
    retention: '7 years after the customer leaves (or the law of the billing country)',
    legalObligation: FINANCIAL_OBLIGATION,
    defaultRetentionDays: FINANCIAL_RETENTION_DAYS,
    consentPurposes: [],
  },
  async export(tx, subject, limit, cursor) {
    const rows = await tx
      .select()
      .from(usageRecords)
      .where(and(usageOf(subject), cursor ? gt(usageRecords.id, cursor) : undefined))
      .orderBy(asc(usageRecords.id))
      .limit(limit + 1);
    const page = rows.slice(0, limit);
    return {
      records: page.map((row) => ({
        id: row.id,
        accountId: row.accountId,
        category: row.category,
        reference: row.reference,
        occurredAt: row.occurredAt.toISOString(),
        from: row.partyFrom,
        to: row.partyTo,
        country: row.country,
        quantity: String(row.quantity.coefficient),
        quantityScale: row.quantity.scale,
        unit: row.unit,
        currency: row.currency,
        amountMinor: String(row.amountMinor),
        billingPeriod: row.billingPeriod,
      })),
      ...(rows.length > limit ? { next: page[page.length - 1]!.id } : {}),
    };
  },
  count: (tx, subject) => countOf(tx, tx.select({ n: counted }).from(usageRecords).where(usageOf(subject))),
  async erase(tx, subject, pseudonym) {
    const phones = subject.phones;
    if (subject.accountIds.length === 0 && phones.length === 0) return receiptLine('usage_records');
    const rows = await tx
      .update(usageRecords)
      .set({
        ...(subject.accountIds.length
          ? {
              accountId: sql`case when ${inArray(usageRecords.accountId, subject.accountIds)} then ${pseudonym} else ${usageRecords.accountId} end`,
            }
          : {}),
        ...(phones.length
          ? {
              partyFrom: sql`case when ${inArray(usageRecords.partyFrom, phones)} then ${ERASED} else ${usageRecords.partyFrom} end`,
              partyTo: sql`case when ${inArray(usageRecords.partyTo, phones)} then ${ERASED} else ${usageRecords.partyTo} end`,
            }
          : {}),
      })
      .where(usageOf(subject))
      .returning({ id: usageRecords.id });
    return receiptLine('usage_records', {
      anonymised: String(rows.length),
      kept: String(rows.length),
      keptBasis: FINANCIAL_OBLIGATION,
    });
  },
  async purge(tx, before) {
    const gone = await tx
      .delete(usageRecords)
      .where(and(lt(usageRecords.occurredAt, before), tenantLeftBefore(before)))
      .returning({ id: usageRecords.id });
    return gone.length;
  },
};

/** Invoices' export: first the subject's invoices (keyset on id), then lines naming their phones. */
const invoicePart: BillingPrivacyPart = {
  category: {
    id: 'invoices',
    description:
      'Invoices and credit notes: buyer name, address and tax id, numbers, dates, amounts, tax, and itemised lines with the phone numbers messages and calls went from and to',
    subjects: [
      'account holders',
      "a tenant's own customers (sub-accounts) it bills",
      'people messages and calls were exchanged with',
    ],
    purpose: 'Invoice usage and keep the accounting records the law requires',
    legalBasis: 'contract; legal obligation',
    retention: '7 years after the customer leaves (or the law of the billing country)',
    legalObligation: FINANCIAL_OBLIGATION,
    defaultRetentionDays: FINANCIAL_RETENTION_DAYS,
    consentPurposes: [],
  },
  async export(tx, subject, limit, cursor) {
    const [stage, from = ''] = cursor ? (cursor.split('|', 2) as [string, string]) : ['i', ''];
    let after = from;
    if (stage === 'i') {
      const rows = await tx
        .select()
        .from(invoices)
        .where(and(invoicesOf(subject), after ? gt(invoices.id, after) : undefined))
        .orderBy(asc(invoices.id))
        .limit(limit + 1);
      const page = rows.slice(0, limit);
      // None (left): on to the lines naming the subject's phones.
      after = '';
      if (page.length > 0)
        return {
          records: page.map((row) => ({
            id: row.id,
            kind: row.kind,
            number: row.number,
            accountId: row.accountId,
            period: row.period,
            state: row.state,
            buyer: row.buyer,
            currency: row.currency,
            subtotalMinor: String(row.subtotalMinor),
            taxMinor: String(row.taxMinor),
            totalMinor: String(row.totalMinor),
            issuedAt: row.issuedAt.toISOString(),
          })),
          next: rows.length > limit ? `i|${page[page.length - 1]!.id}` : 'l|',
        };
    }
    const [invoiceId, lineNo] = after ? after.split('/') : [];
    const rows = await tx
      .select({ line: invoiceLines, number: invoices.number })
      .from(invoiceLines)
      .innerJoin(invoices, eq(invoices.id, invoiceLines.invoiceId))
      .where(
        and(
          linesOf(subject),
          invoiceId
            ? sql`(${invoiceLines.invoiceId}, ${invoiceLines.lineNo}) > (${invoiceId}::uuid, ${Number(lineNo)})`
            : undefined,
        ),
      )
      .orderBy(asc(invoiceLines.invoiceId), asc(invoiceLines.lineNo))
      .limit(limit + 1);
    const page = rows.slice(0, limit);
    const last = page[page.length - 1]?.line;
    return {
      records: page.map(({ line, number }) => ({
        invoiceNumber: number,
        lineNo: line.lineNo,
        category: line.category,
        occurredAt: line.occurredAt.toISOString(),
        from: line.partyFrom,
        to: line.partyTo,
        amountMinor: String(line.amountMinor),
      })),
      ...(rows.length > limit && last ? { next: `l|${last.invoiceId}/${last.lineNo}` } : {}),
    };
  },
  async count(tx, subject) {
    return (
      (await countOf(tx, tx.select({ n: counted }).from(invoices).where(invoicesOf(subject)))) +
      (await countOf(tx, tx.select({ n: counted }).from(invoiceLines).where(linesOf(subject))))
    );
  },
  async erase(tx, subject, pseudonym) {
    // The buyer's name, address and tax id, and the account id, are replaced; amounts, dates, numbers and
    // tax stay as issued (the totals do not change, so neither does the PDF's arithmetic).
    const headers = await tx
      .update(invoices)
      .set({
        accountId: pseudonym,
        buyer: sql`jsonb_build_object('name', ${ERASED}::text, 'address', '', 'country', ${invoices.buyer}->>'country', 'taxId', '')`,
        anonymisedAt: new Date(),
      })
      .where(invoicesOf(subject))
      .returning({ id: invoices.id });
    const phones = subject.phones;
    const lines = phones.length
      ? await tx
          .update(invoiceLines)
          .set({
            partyFrom: sql`case when ${inArray(invoiceLines.partyFrom, phones)} then ${ERASED} else ${invoiceLines.partyFrom} end`,
            partyTo: sql`case when ${inArray(invoiceLines.partyTo, phones)} then ${ERASED} else ${invoiceLines.partyTo} end`,
          })
          .where(linesOf(subject))
          .returning({ id: invoiceLines.invoiceId })
      : [];
    const touched = new Set([...headers, ...lines].map((row) => row.id));
    if (lines.length > 0) {
      await tx
        .update(invoices)
        .set({ anonymisedAt: new Date() })
        .where(inArray(invoices.id, [...touched]));
    }
    return receiptLine('invoices', {
      anonymised: String(touched.size),
      kept: String(touched.size),
      keptBasis: FINANCIAL_OBLIGATION,
    });
  },
  async purge(tx, before) {
    const old = and(lt(invoices.issuedAt, before), tenantLeftBefore(before));
    const ids = (await tx.select({ id: invoices.id }).from(invoices).where(old)).map((row) => row.id);
    if (ids.length === 0) return 0;
    await tx.delete(invoiceLines).where(inArray(invoiceLines.invoiceId, ids));
    // Credit notes first: they reference their invoice.
    await tx.delete(invoices).where(and(inArray(invoices.id, ids), isNotNull(invoices.creditsInvoiceId)));
    await tx.delete(invoices).where(inArray(invoices.id, ids));
    return ids.length;
  },
};

/** How long a departed tenant's cards stay (refunds and chargebacks arrive weeks after the last charge). */
export const PAYMENT_METHOD_RETENTION_DAYS = 180;

/**
 * Whose cards: the person who added one (`added_by`, an identity-provider user id), else the tenant's
 * account holder, found as the profile part finds them: by the email of the tenant's own billing profile
 * (account ''). Erasure runs this part before the profile part deletes that profile.
 */
const paymentMethodsOf = (subject: SubjectIdentifiers) =>
  any([
    ...(subject.userIds.length ? [inArray(paymentMethods.addedBy, subject.userIds)] : []),
    ...(subject.emails.length
      ? [
          and(
            eq(paymentMethods.addedBy, ''),
            sql`exists (select 1 from billing_profiles p where p.tenant_id = ${paymentMethods.tenantId}
              and p.account_id = '' and p.email in ${subject.emails})`,
          )!,
        ]
      : []),
  ]);

/**
 * Payment-method metadata (the processor's token, brand, last four, expiry). Not a financial record: on
 * erasure each card is detached at the processor that made it (so it can never be charged again), then
 * deleted; the top-ups charged to it are financial records and stay, without the card
 * (`top_ups.payment_method_id` becomes null). The export leaves the token out: it is the processor's
 * bearer credential for charging the card, not information about the subject.
 */
export function paymentMethodsPart(processor: PaymentProcessor | undefined): BillingPrivacyPart {
  // A card of a processor this deployment no longer talks to cannot be detached: the row goes anyway.
  const detach = async (rows: { processor: string; processorToken: string }[]) => {
    for (const row of rows)
      if (processor && row.processor === processor.name) await processor.detach(row.processorToken);
  };
  return {
    category: {
      id: 'payment_methods',
      description:
        "Cards as the payment processor's token with brand, last four digits and expiry (never a card number), and who added them",
      subjects: ['account holders'],
      purpose: 'Charge top-ups and invoices to the card the customer chose',
      legalBasis: 'contract',
      retention: `while the account is a customer; ${PAYMENT_METHOD_RETENTION_DAYS} days after it leaves (refunds and chargebacks)`,
      legalObligation: '',
      defaultRetentionDays: PAYMENT_METHOD_RETENTION_DAYS,
      consentPurposes: [],
    },
    async export(tx, subject, limit, cursor) {
      const rows = await tx
        .select()
        .from(paymentMethods)
        .where(and(paymentMethodsOf(subject), cursor ? gt(paymentMethods.id, cursor) : undefined))
        .orderBy(asc(paymentMethods.id))
        .limit(limit + 1);
      const page = rows.slice(0, limit);
      return {
        records: page.map((row) => ({
          id: row.id,
          processor: row.processor,
          brand: row.brand,
          last4: row.last4,
          expMonth: row.expMonth,
          expYear: row.expYear,
          isDefault: row.isDefault,
          createdAt: row.createdAt.toISOString(),
        })),
        ...(rows.length > limit ? { next: page[page.length - 1]!.id } : {}),
      };
    },
    count: (tx, subject) =>
      countOf(tx, tx.select({ n: counted }).from(paymentMethods).where(paymentMethodsOf(subject))),
    async erase(tx, subject) {
      const rows = await tx
        .select()
        .from(paymentMethods)
        .where(paymentMethodsOf(subject))
        .orderBy(asc(paymentMethods.id))
        .for('update');
      if (rows.length === 0) return receiptLine('payment_methods');
      const ids = rows.map((row) => row.id);
      const charged = await countOf(
        tx,
        tx.select({ n: counted }).from(topUps).where(inArray(topUps.paymentMethodId, ids)),
      );
      // Detached first: a processor that cannot be reached throws (transient), and the task comes again.
      await detach(rows);
      await tx.delete(paymentMethods).where(inArray(paymentMethods.id, ids));
      return receiptLine('payment_methods', {
        deleted: String(rows.length),
        ...(charged > 0
          ? {
              kept: String(charged),
              keptBasis: `top-ups charged to the deleted cards are kept without them: ${FINANCIAL_OBLIGATION}`,
            }
          : {}),
      });
    },
    async purge(tx, before) {
      const rows = await tx
        .select()
        .from(paymentMethods)
        .where(and(lt(paymentMethods.createdAt, before), tenantLeftBefore(before)))
        .for('update');
      if (rows.length === 0) return 0;
      await detach(rows);
      await tx.delete(paymentMethods).where(
        inArray(
          paymentMethods.id,
          rows.map((row) => row.id),
        ),
      );
      return rows.length;
    },
  };
}

function corrections(changes: Record<string, unknown>): Corrections {
  const out: Corrections = {};
  const { fullName, email } = changes;
  if (fullName !== undefined) {
    if (typeof fullName !== 'string' || fullName.trim() === '' || fullName.length > 200) {
      throw invalidArgument('CHANGES_INVALID', 'fullName must be 1-200 characters', [
        { field: 'fullName', description: '1-200 characters' },
      ]);
    }
    out.fullName = fullName.trim();
  }
  if (email !== undefined) {
    if (typeof email !== 'string' || email.length > 320 || !/^[^\s@]+@[^\s@]+$/.test(email)) {
      throw invalidArgument('CHANGES_INVALID', 'email must be an email address', [
        { field: 'email', description: 'an email address' },
      ]);
    }
    out.email = email;
  }
  return out;
}

/**
 * Billing as a privacy participant: billing profiles (deleted on erasure), usage records and invoices
 * (anonymised and kept under the financial-records obligation). `extraParts` is the hook for further
 * categories: the payments step's payment-method metadata (`paymentMethodsPart`).
 */
export function billingParticipant(extraParts: BillingPrivacyPart[] = []): PrivacyParticipant {
  const parts = [profilePart, usagePart, invoicePart, ...extraParts];
  // One part after another: they share the transaction's connection.
  const lines = async (make: (part: BillingPrivacyPart) => Promise<CategoryReceipt>) => {
    const receipts: CategoryReceipt[] = [];
    for (const part of parts) receipts.push(await make(part));
    return receipts;
  };
  return {
    name: 'billing',
    categories: parts.map((part) => part.category),
    async export(tx, subject, context, cursor) {
      // Cursor: `<part index>:<the part's own cursor>`.
      const split = cursor ? cursor.indexOf(':') : -1;
      let index = split > 0 ? Number(cursor!.slice(0, split)) : 0;
      let inner = split > 0 ? cursor!.slice(split + 1) : '';
      const limit = Math.max(1, context.limit);
      for (; index < parts.length; index += 1, inner = '') {
        const part = parts[index]!;
        const page = await part.export(tx, subject, limit, inner);
        const next =
          page.next !== undefined
            ? `${index}:${page.next}`
            : index + 1 < parts.length
              ? `${index + 1}:`
              : undefined;
        if (page.records.length === 0 && page.next === undefined) continue;
        return {
          records: page.records.map((record) => ({ category: part.category.id, record })),
          ...(next ? { next } : {}),
        };
      }
      return { records: [] };
    },
    async erase(tx, subject, context) {
      if (context.hold) {
        const hold = context.hold;
        return lines(async (part) =>
          receiptLine(part.category.id, {
            kept: String(await part.count(tx, subject)),
            keptBasis: `legal hold: ${hold}`,
          }),
        );
      }
      // One pseudonym per erasure replaces the subject's account id on what is kept, so the records of one
      // sub-account still add up together without naming it.
      const pseudonym = `erased-${randomBytes(6).toString('hex')}`;
      // The profile part last: the payment-methods part finds the tenant's account holder through it.
      const receipts: CategoryReceipt[] = [];
      for (const part of [...parts.filter((part) => part !== profilePart), profilePart])
        receipts.push(await part.erase(tx, subject, pseudonym));
      return receipts;
    },
    async rectify(tx, subject, changes) {
      const corrected = corrections(changes);
      const receipts: CategoryReceipt[] = [];
      for (const part of parts) {
        const n = part.rectify ? await part.rectify(tx, subject, corrected) : 0;
        receipts.push(receiptLine(part.category.id, { corrected: String(n) }));
      }
      return receipts;
    },
    async restrict(tx, subject) {
      return lines(async (part) =>
        receiptLine(part.category.id, { restricted: String(await part.count(tx, subject)) }),
      );
    },
    async purge(tx, category, before) {
      const part = parts.find((candidate) => candidate.category.id === category);
      if (!part) return [receiptLine(category)];
      return [receiptLine(category, { deleted: String(await part.purge(tx, before)) })];
    },
  };
}
