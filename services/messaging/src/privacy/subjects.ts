// Which rows are a subject's, as SQL conditions, and how many there are per category.
import { and, inArray, or, sql, type SQL } from 'drizzle-orm';
import type { SubjectIdentifiers, Transaction } from '@parley/kit';
import {
  callRecordings,
  calls,
  inboundParts,
  keptCalls,
  messages,
  optOuts,
  webhookDeliveries,
} from '../db/schema';

export const none = sql`false`;

/**
 * The subject's messages: a phone is theirs when it is a message's from or to (a person a tenant's number
 * wrote to, or who wrote to one); an account id matches the messages of the numbers that account manages
 * (`account_id`, set from numbering's accountId of the sender when sent).
 */
export function messagesOf(subject: SubjectIdentifiers): SQL {
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
export function deliveriesOf(subject: SubjectIdentifiers): SQL {
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
export function forwardedToThem(subject: SubjectIdentifiers): SQL {
  if (subject.phones.length === 0) return none;
  return and(inArray(messages.forwardedTo, subject.phones), sql`not (${messagesOf(subject)})`)!;
}

/** The subject's calls: theirs when a phone of theirs called, was called or was the forwarding target. */
export function callsOf(subject: SubjectIdentifiers): SQL {
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

/**
 * Kept call records in which one of the subject's identifiers is still as recorded (another person's
 * erasure kept the record): the fields `anonymisedCall` would change. A kept record that holds only keyed
 * hashes of the subject is no longer theirs: it is not matched (nor exported).
 */
export function keptCallsOf(subject: SubjectIdentifiers): SQL {
  const clauses: SQL[] = [];
  if (subject.phones.length > 0) {
    const tenantNumber = sql`(case when ${keptCalls.direction} = 'inbound' then ${keptCalls.to} else ${keptCalls.from} end)`;
    for (const column of [
      keptCalls.from,
      keptCalls.to,
      keptCalls.forwardedTo,
      keptCalls.callerIdPresented,
      keptCalls.externalCallerId,
    ])
      clauses.push(and(inArray(column, subject.phones), sql`${column} <> ${tenantNumber}`)!);
  }
  if (subject.accountIds.length > 0) clauses.push(inArray(keptCalls.accountId, subject.accountIds));
  return clauses.length > 0 ? or(...clauses)! : none;
}

/** The recording references of the subject's calls (in their calls' partitions). */
export const recordingsOf = (subject: SubjectIdentifiers) =>
  sql`(${callRecordings.callId}, ${callRecordings.callStartedAt}) in (select ${calls.id}, ${calls.startedAt} from ${calls} where ${callsOf(subject)})`;

export const partsOf = (subject: SubjectIdentifiers) =>
  subject.phones.length > 0 ? inArray(inboundParts.from, subject.phones) : none;
export const optOutsOf = (hashes: string[]) =>
  hashes.length > 0 ? inArray(optOuts.recipientHash, hashes) : none;
export const forwarding = sql`(${messages.forwardedTo} is not null or ${messages.forwardedFrom} is not null)`;

export const hasContent = sql`(${messages.body} is not null or cardinality(${messages.mediaUrls}) > 0)`;

async function count(
  tx: Transaction,
  table:
    | typeof messages
    | typeof webhookDeliveries
    | typeof inboundParts
    | typeof optOuts
    | typeof calls
    | typeof keptCalls
    | typeof callRecordings,
  where: SQL,
) {
  const [row] = await tx
    .select({ n: sql<number>`count(*)::int` })
    .from(table)
    .where(where);
  return Number(row?.n ?? 0);
}

export async function counts(tx: Transaction, subject: SubjectIdentifiers, hashes: string[]) {
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
    call_records:
      (await count(tx, calls, callsOf(subject))) + (await count(tx, keptCalls, keptCallsOf(subject))),
    call_recordings: await count(tx, callRecordings, recordingsOf(subject)),
  };
}
