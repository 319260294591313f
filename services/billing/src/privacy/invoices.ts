import { and, asc, eq, inArray, isNotNull, lt, or, sql } from 'drizzle-orm';
import { keysetExport, receiptLine, type SubjectIdentifiers } from '@parley/kit';
import { invoiceLines, invoices } from '../db/invoiceSchema';
import {
  any,
  countOf,
  counted,
  ERASED,
  FINANCIAL_OBLIGATION,
  FINANCIAL_RETENTION_DAYS,
  none,
  departed,
  type BillingPrivacyPart,
} from './shared';

/**
 * The subject's invoices: a sub-account's by its account id, and the tenant's own (account '') when the
 * subject is the tenant's account holder, found as the payment-methods part finds them: by the email of the
 * tenant's own billing profile. Erasure runs this part before the profile part changes that profile.
 */
const invoicesOf = (subject: SubjectIdentifiers) =>
  any([
    ...(subject.accountIds.length ? [inArray(invoices.accountId, subject.accountIds)] : []),
    ...(subject.emails.length
      ? [
          and(
            eq(invoices.accountId, ''),
            sql`exists (select 1 from billing_profiles p where p.tenant_id = ${invoices.tenantId}
              and p.account_id = '' and p.email in ${subject.emails})`,
          )!,
        ]
      : []),
  ]);

const linesOf = (subject: SubjectIdentifiers) =>
  subject.phones.length
    ? or(inArray(invoiceLines.partyFrom, subject.phones), inArray(invoiceLines.partyTo, subject.phones))!
    : none;

/** Invoices' export: first the subject's invoices (keyset on id), then lines naming their phones. */
export const invoicePart: BillingPrivacyPart = {
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
      const page = await keysetExport(tx, {
        from: invoices,
        key: invoices.id,
        where: invoicesOf(subject),
        after,
        limit,
        keyOf: (row) => row.id,
        record: (row) => ({
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
        }),
      });
      // None (left): on to the lines naming the subject's phones.
      after = '';
      if (page.records.length > 0)
        return { records: page.records, next: page.next !== undefined ? `i|${page.next}` : 'l|' };
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
      (await countOf(tx.select({ n: counted }).from(invoices).where(invoicesOf(subject)))) +
      (await countOf(tx.select({ n: counted }).from(invoiceLines).where(linesOf(subject))))
    );
  },
  async erase(tx, subject, pseudonym) {
    // The buyer's name, address and tax id, and a sub-account's id, are replaced (the tenant's own invoices
    // stay the tenant's: account ''); amounts, dates, numbers and tax stay as issued (the totals do not
    // change, so neither does the PDF's arithmetic).
    const headers = await tx
      .update(invoices)
      .set({
        accountId: sql`case when ${invoices.accountId} = '' then '' else ${pseudonym} end`,
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
  async purge(tx, before, clock) {
    const old = and(lt(invoices.issuedAt, before), departed(before, clock, invoices.accountId));
    const ids = (await tx.select({ id: invoices.id }).from(invoices).where(old)).map((row) => row.id);
    if (ids.length === 0) return 0;
    await tx.delete(invoiceLines).where(inArray(invoiceLines.invoiceId, ids));
    // Credit notes first: they reference their invoice.
    await tx.delete(invoices).where(and(inArray(invoices.id, ids), isNotNull(invoices.creditsInvoiceId)));
    await tx.delete(invoices).where(inArray(invoices.id, ids));
    return ids.length;
  },
};
