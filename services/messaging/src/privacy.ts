import { and, asc, getTableColumns, gt, inArray, or, sql, type SQL } from 'drizzle-orm';
import {
  purgeBefore,
  receiptLine,
  type DataCategory,
  type ExportPage,
  type ExportRecord,
  type PrivacyParticipant,
  type SubjectIdentifiers,
  type Transaction,
} from '@parley/kit';
import {
  PARTITIONED,
  callRecordings,
  calls,
  inboundParts,
  messages,
  optOuts,
  messageStatusHistory,
  webhookDeliveries,
  type CallRecordingRow,
  type CallRow,
  type MessageRow,
  type WebhookDeliveryRow,
} from './db/schema';
import type { SettingsRepository } from './db/settings';
import type { MessagingDeps } from './deps';
import { queueRecordingDeletion } from './jobs/deleteRecordingMedia';

/**
 * Why the opt-out list outlives an erasure: an opt-out must be honoured for as long as it stands, and a
 * sender must be able to show it was (no second message to someone who said STOP).
 */
const OPT_OUT_LAW =
  'Opt-outs must be honoured and their record kept: US TCPA (47 U.S.C. 227, 47 CFR 64.1200) and the CTIA Messaging Principles; EU ePrivacy Directive art. 13 and UK PECR reg. 22 (the right to refuse further messages)';

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
    description:
      'The text of messages sent and received, and the URLs of their media (the media themselves are not stored); parts of inbound messages until the message is whole',
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
    id: 'message_forwarding',
    description:
      "Where an inbound message was forwarded (the number's forwarding target) and, on the forwarded copy, whose message it carries",
    subjects: [
      'people who send messages to a Parley number',
      'the people whose phones a number forwards its messages to',
    ],
    purpose: 'Forward inbound messages to the phone the tenant chose, and show where they went',
    legalBasis: 'contract',
    retention: "with the message's metadata, twelve months after it was created",
    legalObligation: '',
    defaultRetentionDays: 365,
    consentPurposes: [],
  },
  {
    id: 'opt_outs',
    description:
      'Who opted out of (STOP) or back in to (START) messages from a number: a keyed hash of their phone number, never the number, with the keyword, when, and the message that carried it',
    subjects: ['people who send STOP or START to a Parley number'],
    purpose: 'Honour opt-outs: send nothing more to a person who asked for no more messages from a number',
    legalBasis: 'legal obligation',
    retention:
      'as long as the opt-out stands and the law asks for proof of it, also after the person is erased (then unlinked from their messages)',
    legalObligation: OPT_OUT_LAW,
    defaultRetentionDays: 0,
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
  {
    id: 'call_records',
    description:
      "Records of the calls a Parley number carried, as the carrier reported them: when the call started, was answered and ended, its duration, from and to numbers, the number it was forwarded to, the caller ID presented and the external caller ID, its disposition, and the client's IP address for calls placed from the app",
    subjects: [
      'people who call or are called by a Parley number',
      'the people whose phones a number forwards its calls to',
      'account holders whose numbers carry the calls',
    ],
    purpose: 'Keep the record of the calls a number carried for the tenant; rate their minutes (billing)',
    legalBasis: 'contract',
    retention:
      "twelve months after the call started, or the tenant's metadataRetentionDays (messaging settings)",
    legalObligation: '',
    defaultRetentionDays: 365,
    consentPurposes: [],
  },
  {
    id: 'call_recordings',
    description:
      "References to recordings and voicemail the carrier holds for a call: the carrier's URL and id, kind, duration, channels and whether the carrier recorded consent (the media stay at the carrier)",
    subjects: [
      'people who call or are called by a Parley number',
      'account holders whose numbers carry the calls',
    ],
    purpose: "Let the tenant find a call's recording or voicemail",
    legalBasis:
      "consent (kept only when the tenant allows recordings and, unless it says otherwise, the carrier recorded the parties' consent)",
    retention: "with the call's record, twelve months after the call started",
    legalObligation: '',
    defaultRetentionDays: 365,
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
  // A forwarded copy (from the Parley number to its forwarding target) carries its sender's message.
  if (subject.phones.length > 0)
    clauses.push(
      inArray(messages.from, subject.phones),
      inArray(messages.to, subject.phones),
      inArray(messages.forwardedFrom, subject.phones),
    );
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

/** Someone else's inbound messages forwarded to one of the subject's phones. */
function forwardedToThem(subject: SubjectIdentifiers): SQL {
  if (subject.phones.length === 0) return none;
  return and(inArray(messages.forwardedTo, subject.phones), sql`not (${messagesOf(subject)})`)!;
}

/** The subject's calls: theirs when a phone of theirs called, was called or was the forwarding target. */
function callsOf(subject: SubjectIdentifiers): SQL {
  const clauses: SQL[] = [];
  if (subject.phones.length > 0)
    clauses.push(
      inArray(calls.from, subject.phones),
      inArray(calls.to, subject.phones),
      inArray(calls.forwardedTo, subject.phones),
    );
  if (subject.accountIds.length > 0) clauses.push(inArray(calls.accountId, subject.accountIds));
  return clauses.length > 0 ? or(...clauses)! : none;
}

/** The recording references of the subject's calls (in their calls' partitions). */
const recordingsOf = (subject: SubjectIdentifiers) =>
  sql`(${callRecordings.callId}, ${callRecordings.callStartedAt}) in (select ${calls.id}, ${calls.startedAt} from ${calls} where ${callsOf(subject)})`;

const callRecord = (row: CallRow) => ({
  callId: row.id,
  carrierCallId: row.carrierCallId,
  direction: row.direction,
  from: row.from,
  to: row.to,
  forwardedTo: row.forwardedTo,
  callerIdPresented: row.callerIdPresented,
  externalCallerId: row.externalCallerId,
  startedAt: row.startedAt.toISOString(),
  answeredAt: row.answeredAt?.toISOString() ?? null,
  endedAt: row.endedAt.toISOString(),
  durationSeconds: row.durationSeconds,
  disposition: row.disposition,
  clientIp: row.clientIp,
  accountId: row.accountId,
});

const recordingRecord = (row: CallRecordingRow) => ({
  callId: row.callId,
  recordingId: row.id,
  carrierRecordingId: row.carrierRecordingId,
  kind: row.kind,
  url: row.url,
  durationSeconds: row.durationSeconds,
  channels: row.channels,
  consent: row.consent,
  createdAt: row.createdAt.toISOString(),
});

const partsOf = (subject: SubjectIdentifiers) =>
  subject.phones.length > 0 ? inArray(inboundParts.from, subject.phones) : none;
const optOutsOf = (hashes: string[]) => (hashes.length > 0 ? inArray(optOuts.recipientHash, hashes) : none);
const forwarding = sql`(${messages.forwardedTo} is not null or ${messages.forwardedFrom} is not null)`;

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

async function count(
  tx: Transaction,
  table:
    | typeof messages
    | typeof webhookDeliveries
    | typeof inboundParts
    | typeof optOuts
    | typeof calls
    | typeof callRecordings,
  where: SQL,
) {
  const [row] = await tx
    .select({ n: sql<number>`count(*)::int` })
    .from(table)
    .where(where);
  return Number(row?.n ?? 0);
}

async function counts(tx: Transaction, subject: SubjectIdentifiers, hashes: string[]) {
  return {
    message_metadata: await count(tx, messages, messagesOf(subject)),
    message_content:
      (await count(tx, messages, and(messagesOf(subject), hasContent)!)) +
      (await count(tx, inboundParts, and(partsOf(subject), sql`${inboundParts.text} is not null`)!)),
    message_forwarding:
      (await count(tx, messages, and(messagesOf(subject), forwarding)!)) +
      (await count(tx, messages, forwardedToThem(subject))),
    opt_outs: await count(tx, optOuts, optOutsOf(hashes)),
    webhook_deliveries: await count(tx, webhookDeliveries, deliveriesOf(subject)),
    call_records: await count(tx, calls, callsOf(subject)),
    call_recordings: await count(tx, callRecordings, recordingsOf(subject)),
  };
}

/** A page of records after a text keyset, from one query that answers `limit + 1` rows at most. */
function keysetPage<Row>(
  rows: Row[],
  limit: number,
  stage: string,
  keyOf: (row: Row) => string,
  record: (row: Row) => ExportRecord,
  after: string,
): ExportPage {
  const page = rows.slice(0, limit);
  return {
    records: page.map(record),
    next: rows.length > limit ? `${stage}:${keyOf(page[page.length - 1]!)}` : after,
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
    category === 'message_metadata' || category === 'call_records' || category === 'call_recordings'
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
 * their status history and carrier part ids, forwarded copies of theirs included), parts of their inbound
 * messages, where others' messages were forwarded to them, the webhook deliveries naming them, and their
 * call records with their recording references (and asks the carrier to delete the recordings' media): no
 * law obliges messaging to keep any of that (billing's
 * records of the traffic are billing's). The opt-out list
 * is kept: it never held the number (a keyed hash), and it loses its link to their messages. Phone numbers in
 * messages are what was sent: they are not rectified.
 */
export function messagingParticipant(
  deps: Pick<MessagingDeps, 'webhooks' | 'settings' | 'jobs' | 'carrierMedia'>,
): PrivacyParticipant {
  return {
    name: 'messaging',
    categories: messagingCategories,
    async export(tx, subject, context, cursor) {
      // Cursor: `m:<created_at>,<id>` (keyset over the subject's messages), then `f:<created_at>,<id>`
      // (others' messages forwarded to them), `p:<group>:<seq>` (their waiting inbound parts), `o:<number>`
      // (their opt-outs), `c:<started_at>,<id>` (their calls, with their recording references),
      // `w:<last delivery id>`. A stage with nothing (left) falls through to the next.
      const stage = cursor ? cursor.slice(0, 1) : 'm';
      const after = cursor ? cursor.slice(2) : '';
      if (stage === 'm') {
        // A message gives two or three records (metadata, content, forwarding): half a page of messages
        // keeps near the limit.
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
              ...(row.forwardedTo !== null || row.forwardedFrom !== null
                ? [
                    {
                      category: 'message_forwarding',
                      record: {
                        messageId: row.id,
                        forwardedTo: row.forwardedTo,
                        forwardedFrom: row.forwardedFrom,
                      },
                    },
                  ]
                : []),
            ]),
            next: rows.length > limit ? `m:${last.at},${last.id}` : 'f:',
          };
        }
      }
      const limit = Math.max(1, context.limit);
      if (stage === 'm' || stage === 'f') {
        // Other people's messages forwarded to the subject's phone: only where they went is theirs.
        const [afterAt, afterId] = stage === 'f' && after ? after.split(',', 2) : [];
        const rows = await tx
          .select({
            id: messages.id,
            forwardedTo: messages.forwardedTo,
            at: sql<string>`${messages.createdAt}::text`,
          })
          .from(messages)
          .where(
            and(
              forwardedToThem(subject),
              afterAt
                ? sql`(${messages.createdAt}, ${messages.id}) > (${afterAt}::timestamptz, ${afterId}::uuid)`
                : undefined,
            ),
          )
          .orderBy(asc(messages.createdAt), asc(messages.id))
          .limit(limit + 1);
        if (rows.length > 0)
          return keysetPage(
            rows,
            limit,
            'f',
            (row) => `${row.at},${row.id}`,
            (row) => ({
              category: 'message_forwarding',
              record: { messageId: row.id, forwardedTo: row.forwardedTo },
            }),
            'p:',
          );
      }
      if (stage === 'm' || stage === 'f' || stage === 'p') {
        // Parts of the subject's inbound messages still waiting for their siblings.
        const rows = await tx
          .select()
          .from(inboundParts)
          .where(
            and(
              partsOf(subject),
              sql`${inboundParts.text} is not null`,
              stage === 'p' && after
                ? sql`${inboundParts.groupKey} || ':' || ${inboundParts.seq} > ${after}`
                : undefined,
            ),
          )
          .orderBy(sql`${inboundParts.groupKey} || ':' || ${inboundParts.seq}`)
          .limit(limit + 1);
        if (rows.length > 0)
          return keysetPage(
            rows,
            limit,
            'p',
            (row) => `${row.groupKey}:${row.seq}`,
            (row) => ({
              category: 'message_content',
              record: {
                inboundPart: row.seq,
                of: row.total,
                from: row.from,
                to: row.to,
                text: row.text,
                receivedAt: row.receivedAt.toISOString(),
              },
            }),
            'o:',
          );
      }
      if (stage !== 'w' && stage !== 'c') {
        // The opt-out list: the tenant's numbers the subject opted out of or back in to (found by hash).
        const rows = await tx
          .select()
          .from(optOuts)
          .where(
            and(optOutsOf(context.hashes), stage === 'o' && after ? gt(optOuts.number, after) : undefined),
          )
          .orderBy(asc(optOuts.number))
          .limit(limit + 1);
        if (rows.length > 0)
          return keysetPage(
            rows,
            limit,
            'o',
            (row) => row.number,
            (row) => ({
              category: 'opt_outs',
              record: {
                number: row.number,
                optedOut: row.optedOut,
                keyword: row.keyword,
                changedAt: row.changedAt.toISOString(),
                messageId: row.sourceMessageId,
              },
            }),
            'c:',
          );
      }
      if (stage !== 'w') {
        // Their calls, each with its recording references (a call gives one to a few records).
        const callLimit = Math.max(1, Math.floor(limit / 2));
        const [afterAt, afterId] = stage === 'c' && after ? after.split(',', 2) : [];
        const rows = await tx
          .select({ ...getTableColumns(calls), at: sql<string>`${calls.startedAt}::text` })
          .from(calls)
          .where(
            and(
              callsOf(subject),
              afterAt
                ? sql`(${calls.startedAt}, ${calls.id}) > (${afterAt}::timestamptz, ${afterId}::uuid)`
                : undefined,
            ),
          )
          .orderBy(asc(calls.startedAt), asc(calls.id))
          .limit(callLimit + 1);
        if (rows.length > 0) {
          const page = rows.slice(0, callLimit);
          const references = await tx
            .select()
            .from(callRecordings)
            .where(
              and(
                inArray(
                  callRecordings.callId,
                  page.map((row) => row.id),
                ),
                sql`${callRecordings.callStartedAt} between ${page[0]!.at}::timestamptz and ${page[page.length - 1]!.at}::timestamptz`,
              ),
            )
            .orderBy(asc(callRecordings.createdAt), asc(callRecordings.id));
          const last = page[page.length - 1]!;
          return {
            records: page.flatMap((row) => [
              { category: 'call_records', record: callRecord(row) },
              ...references
                .filter((reference) => reference.callId === row.id)
                .map((reference) => ({ category: 'call_recordings', record: recordingRecord(reference) })),
            ]),
            next: rows.length > callLimit ? `c:${last.at},${last.id}` : 'w:',
          };
        }
      }
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
        const found = await counts(tx, subject, context.hashes);
        return messagingCategories.map((category) =>
          receiptLine(category.id, {
            kept: String(found[category.id as keyof typeof found]),
            keptBasis: `legal hold: ${context.hold}`,
          }),
        );
      }
      const before = await counts(tx, subject, context.hashes);
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
      // Where someone else's message was forwarded to the subject's phone goes; the message stays.
      await tx.update(messages).set({ forwardedTo: null }).where(forwardedToThem(subject));
      const gone = await tx
        .delete(messages)
        .where(messagesOf(subject))
        .returning({ content: sql<boolean>`${hasContent}` });
      // Their calls, with their recording references (in the calls' partitions); the carrier is asked to
      // delete the media (a job queued in this transaction, retried until the carrier confirms).
      const recordingsGone = await tx
        .delete(callRecordings)
        .where(recordingsOf(subject))
        .returning({ id: callRecordings.id, carrierRecordingId: callRecordings.carrierRecordingId });
      if (deps.carrierMedia)
        for (const recording of recordingsGone)
          await queueRecordingDeletion(deps, tx, context.tenantId, recording.carrierRecordingId);
      const callsGone = await tx.delete(calls).where(callsOf(subject)).returning({ id: calls.id });
      const parts = await tx
        .delete(inboundParts)
        .where(partsOf(subject))
        .returning({ text: inboundParts.text });
      // The opt-out list is kept (the law asks for it), only as the hash it always was; the link to the
      // message that carried the keyword (deleted above) goes.
      const kept = await tx
        .update(optOuts)
        .set({ sourceMessageId: null, anonymisedAt: sql`clock_timestamp()` })
        .where(optOutsOf(context.hashes))
        .returning({ number: optOuts.number });
      return [
        receiptLine('message_metadata', { deleted: String(gone.length) }),
        receiptLine('message_content', {
          deleted: String(gone.filter((row) => row.content).length + parts.filter((row) => row.text).length),
        }),
        receiptLine('message_forwarding', { deleted: String(before.message_forwarding) }),
        receiptLine('opt_outs', {
          anonymised: String(kept.length),
          kept: String(kept.length),
          keptBasis: OPT_OUT_LAW,
        }),
        receiptLine('webhook_deliveries', { deleted: String(deliveries.length) }),
        receiptLine('call_records', { deleted: String(callsGone.length) }),
        receiptLine('call_recordings', { deleted: String(recordingsGone.length) }),
      ];
    },
    async rectify() {
      // The numbers and text of a message are what was sent and received: a record of a past fact, not a
      // description of the person, so there is nothing to correct (the receipt says nothing was).
      return messagingCategories.map((category) => receiptLine(category.id));
    },
    async restrict(tx, subject, _restricted, context) {
      const found = await counts(tx, subject, context.hashes);
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
      if (category === 'message_forwarding') {
        const cleared = await tx
          .update(messages)
          .set({ forwardedTo: null, forwardedFrom: null })
          .where(and(sql`${messages.createdAt} < ${before.toISOString()}::timestamptz`, forwarding))
          .returning({ id: messages.id });
        return [receiptLine(category, { deleted: String(cleared.length) })];
      }
      if (category === 'call_records') {
        // The recording references' partitions follow their calls' (call_started_at).
        await purgeBefore(tx, PARTITIONED.callRecordings, before);
        const deleted = await purgeBefore(tx, PARTITIONED.calls, before);
        return [receiptLine(category, { deleted: String(deleted) })];
      }
      if (category === 'call_recordings') {
        const deleted = await purgeBefore(tx, PARTITIONED.callRecordings, before);
        return [receiptLine(category, { deleted: String(deleted) })];
      }
      if (category === 'webhook_deliveries') {
        const deleted = await deps.webhooks.deleteFinishedBefore(tx, before);
        return [receiptLine(category, { deleted: String(deleted) })];
      }
      return [receiptLine(category)];
    },
  };
}
