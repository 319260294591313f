import { and, asc, gt, inArray, lt } from 'drizzle-orm';
import {
  eraseIdempotencyKeys,
  purgeIdempotencyKeys,
  receiptLine,
  type DataCategory,
  type PrivacyParticipant,
  type SubjectIdentifiers,
} from '@parley/kit';
import { accessLog } from './db/schema';

export const gatewayCategories: DataCategory[] = [
  {
    id: 'access_log',
    description: 'Calls made to the API: time, route, status, IP address and user agent',
    subjects: ['account holders who call the API', 'partner integrations'],
    purpose: 'Secure the service; investigate abuse and support requests',
    legalBasis: 'legitimate interests',
    retention: '30 days',
    legalObligation: '',
    defaultRetentionDays: 30,
    consentPurposes: [],
  },
];

const principals = (subject: SubjectIdentifiers) => subject.userIds.map((id) => `user:${id}`);

/** The gateway as a privacy participant: its access log of a subject's own calls. */
export const gatewayParticipant: PrivacyParticipant = {
  name: 'gateway',
  categories: gatewayCategories,
  async export(tx, subject, context, cursor) {
    const wanted = principals(subject);
    if (wanted.length === 0) return { records: [] };
    // The cursor is the id of the last row sent; rows are read in id order, a page at a time.
    const after = cursor ? Number(cursor) : 0;
    const rows = await tx
      .select()
      .from(accessLog)
      .where(and(inArray(accessLog.principal, wanted), gt(accessLog.id, after)))
      .orderBy(asc(accessLog.id))
      .limit(context.limit);
    return {
      records: rows.map((row) => ({
        category: 'access_log',
        record: {
          at: row.occurredAt.toISOString(),
          method: row.method,
          route: row.route,
          status: row.status,
          ip: row.ip,
          userAgent: row.userAgent,
        },
      })),
      next: rows.length === context.limit ? String(rows[rows.length - 1]!.id) : undefined,
    };
  },
  async erase(tx, subject, context) {
    const wanted = principals(subject);
    if (context.hold) {
      const rows =
        wanted.length > 0
          ? await tx.select({ id: accessLog.id }).from(accessLog).where(inArray(accessLog.principal, wanted))
          : [];
      return [
        receiptLine('access_log', { kept: String(rows.length), keptBasis: `legal hold: ${context.hold}` }),
      ];
    }
    // Answers kept for Idempotency-Key replays may describe the subject: they go with the calls.
    await eraseIdempotencyKeys(tx, wanted);
    const gone =
      wanted.length > 0
        ? await tx
            .delete(accessLog)
            .where(inArray(accessLog.principal, wanted))
            .returning({ id: accessLog.id })
        : [];
    return [receiptLine('access_log', { deleted: String(gone.length) })];
  },
  async rectify() {
    // The access log records what happened; there is nothing in it to correct.
    return [receiptLine('access_log')];
  },
  async restrict(tx, subject) {
    const wanted = principals(subject);
    const rows =
      wanted.length > 0
        ? await tx.select({ id: accessLog.id }).from(accessLog).where(inArray(accessLog.principal, wanted))
        : [];
    return [receiptLine('access_log', { restricted: String(rows.length) })];
  },
  async purge(tx, category, before) {
    if (category !== 'access_log') return [receiptLine(category)];
    // Idempotency keys live 24 hours; the daily run also clears those of tenants that stopped calling.
    await purgeIdempotencyKeys(tx, new Date(Date.now() - 24 * 60 * 60 * 1000));
    const gone = await tx
      .delete(accessLog)
      .where(lt(accessLog.occurredAt, before))
      .returning({ id: accessLog.id });
    return [receiptLine('access_log', { deleted: String(gone.length) })];
  },
};
