import { and, asc, eq, gt, lt, sql } from 'drizzle-orm';
import { textArray, receiptLine, type DataCategory, type PrivacyParticipant } from '@parley/kit';
import { consents, legalHolds, mailbox, subjectRequests, verificationCodes } from './db/schema';

const ACCOUNTABILITY =
  'GDPR Art. 5(2) and 7(1): the controller must be able to demonstrate consent and how requests were handled';

/** What the privacy service itself holds about subjects. */
export const privacyCategories: DataCategory[] = [
  {
    id: 'consent_records',
    description: 'Consent decisions: purpose, granted or withdrawn, how, when, by whom, the text version',
    subjects: ['account holders', 'website visitors', 'people a tenant messages'],
    purpose: 'Honour and prove consent, opt-outs of sale/share and the Global Privacy Control signal',
    legalBasis: 'legal obligation',
    retention: '5 years after it was recorded',
    legalObligation: ACCOUNTABILITY,
    defaultRetentionDays: 5 * 365,
    consentPurposes: [],
  },
  {
    id: 'privacy_requests',
    description: 'Data-subject requests: type, identifiers, deadlines, verification, receipts; notices sent',
    subjects: ['data subjects who made a request'],
    purpose: 'Answer requests within the legal deadline and prove it',
    legalBasis: 'legal obligation',
    retention: 'as long as needed to prove compliance',
    legalObligation: ACCOUNTABILITY,
    defaultRetentionDays: 0,
    consentPurposes: [],
  },
];

const overlaps = (column: unknown, hashes: string[]) => sql`${column} && ${textArray(hashes)}`;

/**
 * Privacy as a participant. What a law obliges it to keep (consent proof, the request record) is
 * anonymised on erasure: identifiers are replaced by their salted hashes, which only recognise the
 * subject again (the tombstone) and reveal nothing.
 */
export const privacyParticipant: PrivacyParticipant = {
  name: 'privacy',
  categories: privacyCategories,
  async export(tx, subject, context, cursor) {
    // Consent records first, then requests, each in id order; the cursor is "<category>:<last id sent>".
    const [category = 'consent_records', after = ''] = (cursor ?? '').split(/:(.*)/s).filter(Boolean);
    if (category === 'consent_records') {
      const rows = await tx
        .select()
        .from(consents)
        .where(
          and(overlaps(consents.subjectHashes, context.hashes), after ? gt(consents.id, after) : undefined),
        )
        .orderBy(asc(consents.id))
        .limit(context.limit);
      return {
        records: rows.map((row) => ({
          category: 'consent_records',
          record: {
            purpose: row.purpose,
            granted: row.granted,
            method: row.method,
            textVersion: row.textVersion,
            recordedBy: row.recordedBy,
            recordedAt: row.recordedAt.toISOString(),
          },
        })),
        next:
          rows.length === context.limit
            ? `consent_records:${rows[rows.length - 1]!.id}`
            : 'privacy_requests:',
      };
    }
    const requests = await tx
      .select()
      .from(subjectRequests)
      .where(
        and(
          sql`(${subjectRequests.identifiers}->'emails' ?| ${textArray(subject.emails)} or ${subjectRequests.identifiers}->'accountIds' ?| ${textArray(subject.accountIds)})`,
          after ? gt(subjectRequests.id, after) : undefined,
        ),
      )
      .orderBy(asc(subjectRequests.id))
      .limit(context.limit);
    return {
      records: requests.map((row) => ({
        category: 'privacy_requests',
        record: {
          id: row.id,
          type: row.type,
          state: row.state,
          receivedAt: row.receivedAt.toISOString(),
          dueAt: row.dueAt.toISOString(),
        },
      })),
      next:
        requests.length === context.limit
          ? `privacy_requests:${requests[requests.length - 1]!.id}`
          : undefined,
    };
  },
  async erase(tx, subject, context) {
    const held = await tx.select().from(consents).where(overlaps(consents.subjectHashes, context.hashes));
    const requests = await tx
      .select({ id: subjectRequests.id })
      .from(subjectRequests)
      .where(
        sql`${subjectRequests.identifiers}->'emails' ?| ${textArray(subject.emails)} or ${subjectRequests.identifiers}->'accountIds' ?| ${textArray(subject.accountIds)}`,
      );
    if (context.hold) {
      return [
        receiptLine('consent_records', {
          kept: String(held.length),
          keptBasis: `legal hold: ${context.hold}`,
        }),
        receiptLine('privacy_requests', {
          kept: String(requests.length),
          keptBasis: `legal hold: ${context.hold}`,
        }),
      ];
    }
    const anonymous = { erased: 'identifiers replaced by salted hashes' };
    await tx
      .update(consents)
      .set({ subject: anonymous })
      .where(overlaps(consents.subjectHashes, context.hashes));
    for (const request of requests) {
      await tx
        .update(subjectRequests)
        .set({
          subject: anonymous,
          identifiers: { accountIds: [], emails: [], phones: [], userIds: context.hashes },
        })
        .where(eq(subjectRequests.id, request.id));
      await tx.delete(verificationCodes).where(eq(verificationCodes.requestId, request.id));
    }
    await tx
      .update(legalHolds)
      .set({ subject: anonymous })
      .where(overlaps(legalHolds.subjectHashes, context.hashes));
    for (const email of subject.emails) await tx.delete(mailbox).where(eq(mailbox.toAddress, email));
    return [
      receiptLine('consent_records', { anonymised: String(held.length), keptBasis: ACCOUNTABILITY }),
      receiptLine('privacy_requests', { anonymised: String(requests.length), keptBasis: ACCOUNTABILITY }),
    ];
  },
  async rectify(tx, subject, changes, context) {
    const email = typeof changes.email === 'string' ? changes.email.toLowerCase() : undefined;
    if (!email) return [receiptLine('consent_records'), receiptLine('privacy_requests')];
    const rows = await tx.select().from(consents).where(overlaps(consents.subjectHashes, context.hashes));
    for (const row of rows) {
      await tx
        .update(consents)
        .set({ subject: { ...row.subject, email } })
        .where(eq(consents.id, row.id));
    }
    return [
      receiptLine('consent_records', { corrected: String(rows.length) }),
      receiptLine('privacy_requests'),
    ];
  },
  async restrict(tx, _subject, _restricted, context) {
    const rows = await tx
      .select({ id: consents.id })
      .from(consents)
      .where(overlaps(consents.subjectHashes, context.hashes));
    return [
      receiptLine('consent_records', { restricted: String(rows.length) }),
      receiptLine('privacy_requests'),
    ];
  },
  async purge(tx, category, before) {
    if (category !== 'consent_records') return [receiptLine(category)];
    const gone = await tx
      .delete(consents)
      .where(and(lt(consents.recordedAt, before)))
      .returning({ id: consents.id });
    return [receiptLine('consent_records', { deleted: String(gone.length) })];
  },
};
