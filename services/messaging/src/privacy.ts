import { and, asc, getTableColumns, gt, inArray, or, sql, type SQL } from 'drizzle-orm';
import {
  purgeBefore,
  receiptLine,
  type DataCategory,
  type PrivacyParticipant,
  type SubjectIdentifiers,
  type Transaction,
} from '@parley/kit';
import {
  PARTITIONED,
  messages,
  messageStatusHistory,
  webhookDeliveries,
  type MessageRow,
  type WebhookDeliveryRow,
} from './db/schema';
import type { SettingsRepository } from './db/settings';
import type { MessagingDeps } from './deps';

/** What messaging holds about people. */
export const messagingCategories: DataCategory[] = [
  {
    id: 'message_metadata',
    description:
      'Messages sent to and received from a person: from and to numbers, time, direction, encoding, segments, status and its history, error codes',
    subjects: [
      'people who send messages to or receive messages from a Parley number',
      'account holders whose numbers send and receive them',
    ],
    purpose: 'Send and receive messages, report their delivery, answer for the traffic to the tenant',
    legalBasis: 'contract',
    retention:
      "twelve months after the message was created, or the tenant's metadataRetentionDays (messaging settings)",
    legalObligation: '',
    defaultRetentionDays: 365,
    consentPurposes: [],
  },
  {
    id: 'message_content',
    description: 'The text of messages and the URLs of their media (the media themselves are not stored)',
    subjects: [
      'people who send messages to or receive messages from a Parley number',
      'account holders whose numbers send and receive them',
    ],
    purpose: 'Deliver the message; show it to the tenant in the message log',
    legalBasis: 'contract',
    // jobs/retention.ts empties body and media URLs when the message reaches its final status, or the
    // tenant's contentRetentionDays after it (messaging settings); the metadata stays. Received messages have
    // no final delivery status: their content goes with their metadata. The privacy service's retention run
    // (defaultRetentionDays after creation) is the backstop for content nothing else removed.
    retention:
      "removed when the message reaches its final status (delivered, undelivered, failed, expired), or the tenant's contentRetentionDays after it; received messages' content is kept with their metadata",
    legalObligation: '',
    defaultRetentionDays: 365,
    consentPurposes: [],
  },
  {
    id: 'webhook_deliveries',
    description:
      "Webhooks sent to the tenant's endpoints (status callbacks, inbound messages): payloads naming the message's from and to numbers, and each attempt's outcome",
    subjects: ['people who send messages to or receive messages from a Parley number'],
    purpose: 'Tell the tenant of message events; let it list and replay deliveries that failed',
    legalBasis: 'contract',
    retention: 'thirty days after the delivery finished (WEBHOOK_RETENTION_DAYS)',
    legalObligation: '',
    defaultRetentionDays: 30,
    consentPurposes: [],
  },
];

const none = sql`false`;

/**
 * The subject's messages: a phone is theirs when it is a message's from or to (a person a tenant's number
 * wrote to, or who wrote to one); an account id matches the messages of the numbers that account manages
 * (`account_id`, set from numbering's accountId of the sender when sent).
 */
function messagesOf(subject: SubjectIdentifiers): SQL {
  const clauses: SQL[] = [];
  if (subject.phones.length > 0)
    clauses.push(inArray(messages.from, subject.phones), inArray(messages.to, subject.phones));
  if (subject.accountIds.length > 0) clauses.push(inArray(messages.accountId, subject.accountIds));
  return clauses.length > 0 ? or(...clauses)! : none;
}

/** Deliveries whose payload names one of the subject's phones, or is about one of their messages. */
function deliveriesOf(subject: SubjectIdentifiers): SQL {
  const clauses: SQL[] = [];
  if (subject.phones.length > 0) {
    const phones = sql`${sql.param(subject.phones)}::text[]`;
    clauses.push(
      sql`${webhookDeliveries.payload} -> 'data' ->> 'from' = any(${phones})`,
      sql`${webhookDeliveries.payload} -> 'data' ->> 'to' = any(${phones})`,
    );
  }
  if (subject.accountIds.length > 0) {
    clauses.push(
      sql`${webhookDeliveries.payload} -> 'data' ->> 'id' in (select ${messages.id}::text from ${messages} where ${inArray(messages.accountId, subject.accountIds)})`,
    );
  }
  return clauses.length > 0 ? or(...clauses)! : none;
}

const hasContent = sql`(${messages.body} is not null or cardinality(${messages.mediaUrls}) > 0)`;

const metadataRecord = (
  row: MessageRow,
  history: { status: string; errorCode: string | null; at: Date }[],
) => ({
  messageId: row.id,
  direction: row.direction,
  from: row.from,
  to: row.to,
  accountId: row.accountId,
  encoding: row.encoding,
  segments: row.segments,
  status: row.status,
  errorCode: row.errorCode,
  senderClass: row.senderClass,
  createdAt: row.createdAt.toISOString(),
  updatedAt: row.updatedAt.toISOString(),
  history: history.map((change) => ({
    status: change.status,
    errorCode: change.errorCode,
    at: change.at.toISOString(),
  })),
});

const deliveryRecord = (row: WebhookDeliveryRow) => ({
  deliveryId: row.id,
  url: row.url,
  type: row.type,
  payload: row.payload,
  status: row.status,
  attempts: row.attempts,
  lastStatusCode: row.lastStatusCode,
  createdAt: row.createdAt.toISOString(),
  deliveredAt: row.deliveredAt?.toISOString() ?? null,
});

async function count(tx: Transaction, table: typeof messages | typeof webhookDeliveries, where: SQL) {
  const [row] = await tx
    .select({ n: sql<number>`count(*)::int` })
    .from(table)
    .where(where);
  return Number(row?.n ?? 0);
}

async function counts(tx: Transaction, subject: SubjectIdentifiers) {
  return {
    message_metadata: await count(tx, messages, messagesOf(subject)),
    message_content: await count(tx, messages, and(messagesOf(subject), hasContent)!),
    webhook_deliveries: await count(tx, webhookDeliveries, deliveriesOf(subject)),
  };
}

/**
 * The cut-off of a retention purge, moved back when the tenant's messaging settings keep the category longer:
 * a tenant that set its own retention in messaging keeps what it set (messaging's retention jobs delete at
 * that setting themselves; jobs/retention.ts).
 */
async function keptLonger(
  repository: SettingsRepository,
  tx: Transaction,
  category: string,
  before: Date,
): Promise<Date> {
  const settings = await repository.get(tx);
  const days =
    category === 'message_metadata'
      ? settings.metadataRetentionDays
      : category === 'message_content'
        ? settings.contentRetentionDays
        : null;
  if (days === null) return before;
  const own = new Date(Date.now() - days * 86_400_000);
  return own < before ? own : before;
}

/**
 * Messaging as a privacy participant. Erasure deletes the subject's messages (metadata and content, with
 * their status history and carrier part ids) and the webhook deliveries naming them: no law obliges
 * messaging to keep any of it today (billing's records of the traffic are billing's). Phone numbers in
 * messages are what was sent: they are not rectified.
 */
export function messagingParticipant(deps: Pick<MessagingDeps, 'webhooks' | 'settings'>): PrivacyParticipant {
  return {
    name: 'messaging',
    categories: messagingCategories,
    async export(tx, subject, context, cursor) {
      // Cursor: `m:<created_at>,<id>` (keyset over the messages), then `w:<last delivery id>`.
      const stage = cursor ? cursor.slice(0, 1) : 'm';
      const after = cursor ? cursor.slice(2) : '';
      if (stage === 'm') {
        // A message gives two records (metadata, content): half a page of messages keeps to the limit.
        const limit = Math.max(1, Math.floor(context.limit / 2));
        const [afterAt, afterId] = after ? after.split(',', 2) : [];
        // The keyset carries created_at as PostgreSQL prints it: a JavaScript Date would cut microseconds.
        const rows = await tx
          .select({ ...getTableColumns(messages), at: sql<string>`${messages.createdAt}::text` })
          .from(messages)
          .where(
            and(
              messagesOf(subject),
              afterAt
                ? sql`(${messages.createdAt}, ${messages.id}) > (${afterAt}::timestamptz, ${afterId}::uuid)`
                : undefined,
            ),
          )
          .orderBy(asc(messages.createdAt), asc(messages.id))
          .limit(limit + 1);
        if (rows.length > 0) {
          const page = rows.slice(0, limit);
          const history = await tx
            .select()
            .from(messageStatusHistory)
            .where(
              and(
                inArray(
                  messageStatusHistory.messageId,
                  page.map((row) => row.id),
                ),
                // Only the partitions of the page's messages are read.
                sql`${messageStatusHistory.messageCreatedAt} between ${page[0]!.at}::timestamptz and ${page[page.length - 1]!.at}::timestamptz`,
              ),
            )
            .orderBy(asc(messageStatusHistory.seq));
          const last = page[page.length - 1]!;
          return {
            records: page.flatMap((row) => [
              {
                category: 'message_metadata',
                record: metadataRecord(
                  row,
                  history.filter((change) => change.messageId === row.id),
                ),
              },
              ...(row.body !== null || row.mediaUrls.length > 0
                ? [
                    {
                      category: 'message_content',
                      record: { messageId: row.id, body: row.body, mediaUrls: row.mediaUrls },
                    },
                  ]
                : []),
            ]),
            next: rows.length > limit ? `m:${last.at},${last.id}` : 'w:',
          };
        }
      }
      const limit = Math.max(1, context.limit);
      const from = stage === 'w' ? after : '';
      const rows = await tx
        .select()
        .from(webhookDeliveries)
        .where(and(deliveriesOf(subject), from ? gt(webhookDeliveries.id, from) : undefined))
        .orderBy(asc(webhookDeliveries.id))
        .limit(limit + 1);
      const page = rows.slice(0, limit);
      return {
        records: page.map((row) => ({ category: 'webhook_deliveries', record: deliveryRecord(row) })),
        ...(rows.length > limit ? { next: `w:${page[page.length - 1]!.id}` } : {}),
      };
    },
    async erase(tx, subject, context) {
      if (context.hold) {
        const found = await counts(tx, subject);
        return messagingCategories.map((category) =>
          receiptLine(category.id, {
            kept: String(found[category.id as keyof typeof found]),
            keptBasis: `legal hold: ${context.hold}`,
          }),
        );
      }
      // Deliveries first: those found through the subject's messages need the messages still there.
      const deliveries = await tx
        .delete(webhookDeliveries)
        .where(deliveriesOf(subject))
        .returning({ id: webhookDeliveries.id });
      // Each message's history and part ids go with it, in its partition (the same key), under RLS.
      const theirs = sql`(select ${messages.id} from ${messages} where ${messagesOf(subject)})`;
      await tx.execute(
        sql`delete from message_status_history
            where (message_id, message_created_at) in (select ${messages.id}, ${messages.createdAt} from ${messages} where ${messagesOf(subject)})`,
      );
      await tx.execute(
        sql`delete from carrier_parts where tenant_id = ${context.tenantId} and message_id in ${theirs}`,
      );
      const gone = await tx
        .delete(messages)
        .where(messagesOf(subject))
        .returning({ content: sql<boolean>`${hasContent}` });
      return [
        receiptLine('message_metadata', { deleted: String(gone.length) }),
        receiptLine('message_content', { deleted: String(gone.filter((row) => row.content).length) }),
        receiptLine('webhook_deliveries', { deleted: String(deliveries.length) }),
      ];
    },
    async rectify() {
      // The numbers and text of a message are what was sent and received: a record of a past fact, not a
      // description of the person, so there is nothing to correct (the receipt says nothing was).
      return messagingCategories.map((category) => receiptLine(category.id));
    },
    async restrict(tx, subject) {
      const found = await counts(tx, subject);
      return messagingCategories.map((category) =>
        receiptLine(category.id, { restricted: String(found[category.id as keyof typeof found]) }),
      );
    },
    async purge(tx, category, given) {
      const before = await keptLonger(deps.settings, tx, category, given);
      if (category === 'message_metadata') {
        // The history's partitions follow their messages' (message_created_at).
        await purgeBefore(tx, PARTITIONED.history, before);
        const deleted = await purgeBefore(tx, PARTITIONED.messages, before);
        return [receiptLine(category, { deleted: String(deleted) })];
      }
      if (category === 'message_content') {
        const emptied = await tx
          .update(messages)
          .set({ body: null, mediaUrls: [] })
          .where(and(sql`${messages.createdAt} < ${before.toISOString()}::timestamptz`, hasContent))
          .returning({ id: messages.id });
        return [receiptLine(category, { deleted: String(emptied.length) })];
      }
      if (category === 'webhook_deliveries') {
        const deleted = await deps.webhooks.deleteFinishedBefore(tx, before);
        return [receiptLine(category, { deleted: String(deleted) })];
      }
      return [receiptLine(category)];
    },
  };
}
