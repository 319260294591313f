import { and, asc, eq, gt, inArray, lt, sql } from 'drizzle-orm';
import {
  textArray,
  receiptLine,
  type DataCategory,
  type PrivacyParticipant,
  type SubjectIdentifiers,
  type Transaction,
} from '@parley/kit';
import {
  archiveLinks,
  archives,
  consents,
  exportRecords,
  legalHolds,
  mailbox,
  subjectRequests,
  verificationCodes,
} from './db/schema';

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
  {
    id: 'export_archives',
    description:
      'Sealed access and portability archives (everything exported about the subject) and their download links',
    subjects: ['data subjects who made an access or portability request'],
    purpose: 'Hand the subject, or whom they asked, a copy of their data',
    legalBasis: 'legal obligation',
    retention: '30 days after it was made; destroyed at once when the subject is erased',
    legalObligation: '',
    defaultRetentionDays: 30,
    consentPurposes: [],
  },
];

/** The requests made about a subject, matched on any identifier they were filed with or resolved to. */
function requestsAbout(tx: Transaction, subject: SubjectIdentifiers) {
  const identifiers = subjectRequests.identifiers;
  return tx
    .select({ id: subjectRequests.id })
    .from(subjectRequests)
    .where(
      sql`(${identifiers}->'emails' ?| ${textArray(subject.emails)} or ${identifiers}->'accountIds' ?| ${textArray(subject.accountIds)} or ${identifiers}->'phones' ?| ${textArray(subject.phones)} or ${identifiers}->'userIds' ?| ${textArray(subject.userIds)})`,
    );
}

/**
 * Destroys the sealed archives of these requests with every link to them and any export part not yet
 * assembled; returns how many archives were destroyed.
 */
async function destroyArchives(tx: Transaction, requestIds: string[]): Promise<number> {
  if (requestIds.length === 0) return 0;
  await tx.delete(archiveLinks).where(inArray(archiveLinks.requestId, requestIds));
  await tx.delete(exportRecords).where(inArray(exportRecords.requestId, requestIds));
  const gone = await tx
    .delete(archives)
    .where(inArray(archives.requestId, requestIds))
    .returning({ id: archives.requestId });
  return gone.length;
}

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
    const about = requestsAbout(tx, subject);
    if (category === 'export_archives') {
      const rows = await tx
        .select({ requestId: archives.requestId, createdAt: archives.createdAt })
        .from(archives)
        .where(and(inArray(archives.requestId, about), after ? gt(archives.requestId, after) : undefined))
        .orderBy(asc(archives.requestId))
        .limit(context.limit);
      return {
        records: rows.map((row) => ({
          category: 'export_archives',
          record: { requestId: row.requestId, createdAt: row.createdAt.toISOString() },
        })),
        next:
          rows.length === context.limit ? `export_archives:${rows[rows.length - 1]!.requestId}` : undefined,
      };
    }
    const requests = await tx
      .select()
      .from(subjectRequests)
      .where(and(inArray(subjectRequests.id, about), after ? gt(subjectRequests.id, after) : undefined))
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
          : 'export_archives:',
    };
  },
  async erase(tx, subject, context) {
    const held = await tx.select().from(consents).where(overlaps(consents.subjectHashes, context.hashes));
    const requests = await requestsAbout(tx, subject);
    const requestIds = requests.map((request) => request.id);
    if (context.hold) {
      const sealed = requestIds.length
        ? await tx
            .select({ id: archives.requestId })
            .from(archives)
            .where(inArray(archives.requestId, requestIds))
        : [];
      return [
        receiptLine('consent_records', {
          kept: String(held.length),
          keptBasis: `legal hold: ${context.hold}`,
        }),
        receiptLine('privacy_requests', {
          kept: String(requests.length),
          keptBasis: `legal hold: ${context.hold}`,
        }),
        receiptLine('export_archives', {
          kept: String(sealed.length),
          keptBasis: `legal hold: ${context.hold}`,
        }),
      ];
    }
    // Archives first, while the requests still name the subject: an archive is a copy of everything
    // exported about them, so it goes, with every link to it, whenever it was made.
    const destroyed = await destroyArchives(tx, requestIds);
    // The `erased` key also tells an export still in progress not to make an archive (workflow.complete).
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
      receiptLine('export_archives', { deleted: String(destroyed) }),
    ];
  },
  async rectify(tx, subject, changes, context) {
    const email = typeof changes.email === 'string' ? changes.email.toLowerCase() : undefined;
    if (!email)
      return [
        receiptLine('consent_records'),
        receiptLine('privacy_requests'),
        receiptLine('export_archives'),
      ];
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
      receiptLine('export_archives'),
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
      receiptLine('export_archives'),
    ];
  },
  async purge(tx, category, before) {
    if (category === 'export_archives') {
      const old = await tx
        .select({ id: archives.requestId })
        .from(archives)
        .where(lt(archives.createdAt, before));
      const destroyed = await destroyArchives(
        tx,
        old.map((row) => row.id),
      );
      return [receiptLine('export_archives', { deleted: String(destroyed) })];
    }
    if (category !== 'consent_records') return [receiptLine(category)];
    const gone = await tx
      .delete(consents)
      .where(and(lt(consents.recordedAt, before)))
      .returning({ id: consents.id });
    return [receiptLine('consent_records', { deleted: String(gone.length) })];
  },
};
