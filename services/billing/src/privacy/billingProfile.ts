import { and, inArray, isNotNull, lt } from 'drizzle-orm';
import { keysetExport, receiptLine, type SubjectIdentifiers } from '@parley/kit';
import { billingProfiles } from '../db/invoiceSchema';
import { any, countOf, counted, FINANCIAL_RETENTION_DAYS, type BillingPrivacyPart } from './shared';

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
