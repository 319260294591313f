import { and, asc, getTableColumns, inArray, sql } from 'drizzle-orm';
import {
  keysetExport,
  type ExportContext,
  type ExportPage,
  type ExportRecord,
  type SubjectIdentifiers,
  type Transaction,
} from '@parley/kit';
import {
  callRecordings,
  calls,
  inboundParts,
  keptCalls,
  messages,
  messageStatusHistory,
  optOuts,
  webhookDeliveries,
} from '../db/schema';
import {
  callRecord,
  deliveryRecord,
  keptCallRecord,
  keysetPage,
  metadataRecord,
  recordingRecord,
} from './records';
import {
  callsOf,
  deliveriesOf,
  forwardedToThem,
  keptCallsOf,
  messagesOf,
  optOutsOf,
  partsOf,
} from './subjects';

/** One page of the subject's records, in stages (see the cursor below). */
export async function exportSubject(
  tx: Transaction,
  subject: SubjectIdentifiers,
  context: ExportContext,
  cursor: string | undefined,
): Promise<ExportPage> {
  // Cursor: `m:<created_at>,<id>` (keyset over the subject's messages), then `f:<created_at>,<id>`
  // (others' messages forwarded to them), `p:<group>:<seq>` (their waiting inbound parts), `o:<number>`
  // (their opt-outs), `c:<started_at>,<id>` (their calls, with their recording references), `k:<id>` (kept
  // records of someone else's erasure that still name them), `w:<last delivery id>`. A stage with nothing
  // (left) falls through to the next.
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
  if (stage !== 'w' && stage !== 'c' && stage !== 'k') {
    // The opt-out list: the tenant's numbers the subject opted out of or back in to (found by hash).
    const page = await keysetExport(tx, {
      from: optOuts,
      key: optOuts.number,
      where: optOutsOf(context.hashes),
      after: stage === 'o' ? after : '',
      limit,
      keyOf: (row) => row.number,
      record: (row): ExportRecord => ({
        category: 'opt_outs',
        record: {
          number: row.number,
          optedOut: row.optedOut,
          keyword: row.keyword,
          changedAt: row.changedAt.toISOString(),
          messageId: row.sourceMessageId,
        },
      }),
    });
    if (page.records.length > 0) return staged(page, 'o', 'c:');
  }
  if (stage !== 'w' && stage !== 'k') {
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
        next: rows.length > callLimit ? `c:${last.at},${last.id}` : 'k:',
      };
    }
  }
  if (stage !== 'w') {
    // Call records kept after someone else's erasure in which they are still named (the other party's
    // identifiers there are keyed hashes: not shown). Records anonymised for them are not theirs: not here.
    const page = await keysetExport(tx, {
      from: keptCalls,
      key: keptCalls.id,
      where: keptCallsOf(subject),
      after: stage === 'k' ? after : '',
      limit,
      keyOf: (row) => row.id,
      record: (row): ExportRecord => ({ category: 'call_records', record: keptCallRecord(row) }),
    });
    if (page.records.length > 0) return staged(page, 'k', 'w:');
  }
  const page = await keysetExport(tx, {
    from: webhookDeliveries,
    key: webhookDeliveries.id,
    where: deliveriesOf(subject),
    after: stage === 'w' ? after : '',
    limit,
    keyOf: (row) => row.id,
    record: (row): ExportRecord => ({ category: 'webhook_deliveries', record: deliveryRecord(row) }),
  });
  return page.next !== undefined ? staged(page, 'w', '') : { records: page.records };
}

/** A keyset page of one stage: the next cursor is the stage's own while it has more, else `then`. */
function staged(page: { records: ExportRecord[]; next?: string }, stage: string, then: string): ExportPage {
  return { records: page.records, next: page.next !== undefined ? `${stage}:${page.next}` : then };
}
