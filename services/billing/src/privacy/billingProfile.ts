import { and, desc, eq, inArray, isNull, sql } from 'drizzle-orm';
import { keysetExport, receiptLine, type SubjectIdentifiers } from '@parley/kit';
import { billingProfiles } from '../db/invoiceSchema';
import {
  any,
  countOf,
  counted,
  departed,
  FINANCIAL_OBLIGATION,
  FINANCIAL_RETENTION_DAYS,
  type BillingPrivacyPart,
} from './shared';

const currentTenant = sql`current_setting('app.tenant_id', true)`;

/** The profiles of the subject: by account id, or by the email invoices are addressed to. */
export const profilesOf = (subject: SubjectIdentifiers) =>
  any([
    ...(subject.accountIds.length ? [inArray(billingProfiles.accountId, subject.accountIds)] : []),
    ...(subject.emails.length ? [inArray(billingProfiles.email, subject.emails)] : []),
  ]);

export const profilePart: BillingPrivacyPart = {
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
  export: (tx, subject, limit, cursor) =>
    keysetExport(tx, {
      from: billingProfiles,
      key: billingProfiles.accountId,
      where: profilesOf(subject),
      after: cursor,
      limit,
      keyOf: (row) => row.accountId,
      record: (row) => ({
        accountId: row.accountId,
        name: row.name,
        address: row.address,
        email: row.email,
        country: row.country,
        taxId: row.taxId,
        updatedAt: row.updatedAt.toISOString(),
      }),
    }),
  count: (tx, subject) => countOf(tx.select({ n: counted }).from(billingProfiles).where(profilesOf(subject))),
  async erase(tx, subject, pseudonym) {
    // An open profile is not itself a record the law asks for: the invoices carry the buyer as printed
    // (anonymised there). A closed one keeps, without the personal data, the date the customer left and its
    // country: the legal retention of its invoices runs from them. The subject's kept records carry the
    // pseudonym, so a sub-account's kept profile does too (one: the latest closing).
    const gone = await tx
      .delete(billingProfiles)
      .where(and(profilesOf(subject), isNull(billingProfiles.closedAt)))
      .returning({ id: billingProfiles.accountId });
    const closed = await tx
      .select({ accountId: billingProfiles.accountId })
      .from(billingProfiles)
      .where(profilesOf(subject))
      .orderBy(desc(billingProfiles.closedAt))
      .for('update');
    const accounts = closed.filter((row) => row.accountId !== '').map((row) => row.accountId);
    const [latest, ...older] = accounts;
    if (older.length > 0)
      await tx
        .delete(billingProfiles)
        .where(and(eq(billingProfiles.tenantId, currentTenant), inArray(billingProfiles.accountId, older)));
    const blank = { name: '', address: '', email: '', taxId: '', updatedAt: new Date() };
    const kept = closed.filter((row) => row.accountId === '' || row.accountId === latest).length;
    if (latest !== undefined)
      await tx
        .update(billingProfiles)
        .set({ ...blank, accountId: pseudonym })
        .where(and(eq(billingProfiles.tenantId, currentTenant), eq(billingProfiles.accountId, latest)));
    if (closed.some((row) => row.accountId === ''))
      await tx
        .update(billingProfiles)
        .set(blank)
        .where(and(eq(billingProfiles.tenantId, currentTenant), eq(billingProfiles.accountId, '')));
    return receiptLine('billing_profile', {
      deleted: String(gone.length + older.length),
      ...(kept > 0
        ? {
            anonymised: String(kept),
            kept: String(kept),
            keptBasis: `the date the customer left and its billing country, without name, address, email or tax id: the legal retention of its invoices runs from them (${FINANCIAL_OBLIGATION})`,
          }
        : {}),
    });
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
  async purge(tx, before, clock) {
    // A profile holds the date its records' retention runs from: it goes once they have gone (the tenant's
    // own, once none of the tenant's remain), at the next run after theirs.
    const gone = await tx
      .delete(billingProfiles)
      .where(
        and(
          departed(before, clock, billingProfiles.accountId),
          sql`not exists (select 1 from usage_records u where u.tenant_id = ${billingProfiles.tenantId}
            and (${billingProfiles.accountId} = '' or u.account_id = ${billingProfiles.accountId}))`,
          sql`not exists (select 1 from invoices i where i.tenant_id = ${billingProfiles.tenantId}
            and (${billingProfiles.accountId} = '' or i.account_id = ${billingProfiles.accountId}))`,
          sql`(${billingProfiles.accountId} <> '' or not exists
            (select 1 from payment_methods m where m.tenant_id = ${billingProfiles.tenantId}))`,
        ),
      )
      .returning({ id: billingProfiles.accountId });
    return gone.length;
  },
};
