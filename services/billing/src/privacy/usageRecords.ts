import { and, inArray, lt, sql } from 'drizzle-orm';
import { keysetExport, receiptLine, type SubjectIdentifiers } from '@parley/kit';
import { usageRecords } from '../db/schema';
import {
  any,
  countOf,
  counted,
  ERASED,
  FINANCIAL_OBLIGATION,
  FINANCIAL_RETENTION_DAYS,
  departed,
  type BillingPrivacyPart,
} from './shared';

const usageOf = (subject: SubjectIdentifiers) =>
  any([
    ...(subject.accountIds.length ? [inArray(usageRecords.accountId, subject.accountIds)] : []),
    ...(subject.phones.length
      ? [inArray(usageRecords.partyFrom, subject.phones), inArray(usageRecords.partyTo, subject.phones)]
      : []),
  ]);

export const usagePart: BillingPrivacyPart = {
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
  export: (tx, subject, limit, cursor) =>
    keysetExport(tx, {
      from: usageRecords,
      key: usageRecords.id,
      where: usageOf(subject),
      after: cursor,
      limit,
      keyOf: (row) => row.id,
      record: (row) => ({
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
      }),
    }),
  count: (tx, subject) => countOf(tx.select({ n: counted }).from(usageRecords).where(usageOf(subject))),
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
  async purge(tx, before, clock) {
    const gone = await tx
      .delete(usageRecords)
      .where(and(lt(usageRecords.occurredAt, before), departed(before, clock, usageRecords.accountId)))
      .returning({ id: usageRecords.id });
    return gone.length;
  },
};
