// Queuing an outbound message: stored `queued` with the first entry of its history and the job that sends
// it, in the caller's transaction. SendMessage, keyword answers and forwarded messages all go this way.
import { v7 as uuidv7 } from 'uuid';
import { matchingHashes, type Transaction } from '@parley/kit';
import { QUEUES, sendJobOptions, type MessagingDeps } from './deps';
import type { CallbackFormat, Keyword, MessageRow } from './db/schema';
import { DEFAULT_VALIDITY_SECONDS, timeOfUuidV7 } from './domain/messages';
import { analyseSmsBody, type SmsEncoding } from './domain/segments';

export interface MessageToQueue {
  /** The id, when the caller chose it before queueing (SendMessage authorises with it); else a new UUIDv7. */
  id?: string;
  tenantId: string;
  accountId: string | null;
  from: string;
  to: string;
  body: string | null;
  mediaUrls?: string[];
  /** Given by SendMessage (it analysed the body already); else the body's. */
  encoding?: SmsEncoding;
  segments?: number;
  statusCallback?: string | null;
  /** How the status callback is posted (default Standard Webhooks). */
  callbackFormat?: CallbackFormat;
  senderClass: string | null;
  validitySeconds?: number;
  /** The sender of the inbound message this one forwards. */
  forwardedFrom?: string;
  /** The keyword this message answers: sent even to a recipient who opted out (the STOP confirmation). */
  keyword?: Keyword;
}

export async function queueMessage(
  deps: Pick<MessagingDeps, 'messages' | 'jobs' | 'sendPriorities'>,
  tx: Transaction,
  message: MessageToQueue,
): Promise<MessageRow> {
  const id = message.id ?? uuidv7();
  const createdAt = timeOfUuidV7(id)!;
  const analysis = message.encoding ? undefined : analyseSmsBody(message.body ?? '');
  const row = await deps.messages.insert(tx, {
    tenantId: message.tenantId,
    id,
    accountId: message.accountId,
    direction: 'outbound',
    from: message.from,
    to: message.to,
    body: message.body,
    mediaUrls: message.mediaUrls ?? [],
    encoding: message.encoding ?? analysis!.encoding,
    segments: message.segments ?? analysis!.segments,
    status: 'queued',
    statusCallback: message.statusCallback ?? null,
    callbackFormat: message.callbackFormat ?? 'standard_webhooks',
    senderClass: message.senderClass,
    forwardedFrom: message.forwardedFrom ?? null,
    keyword: message.keyword ?? null,
    expiresAt: new Date(createdAt.getTime() + (message.validitySeconds ?? DEFAULT_VALIDITY_SECONDS) * 1000),
    createdAt,
    updatedAt: createdAt,
  });
  await deps.jobs.send(
    QUEUES.send,
    { messageId: id },
    { tx, id, ...sendJobOptions(message.tenantId), priority: deps.sendPriorities.next(message.tenantId) },
  );
  return row;
}

/** True when `to` opted out of messages from `from` (its hash under every subject hash key). */
export function optedOut(
  deps: Pick<MessagingDeps, 'optOuts' | 'subjectHashKeys'>,
  tx: Transaction,
  tenantId: string,
  from: string,
  to: string,
): Promise<boolean> {
  const hashes = matchingHashes(deps.subjectHashKeys, tenantId, phone(to));
  return deps.optOuts.isOptedOut(tx, from, hashes);
}

/** A phone number as the subject identifiers the kit hashes. */
export const phone = (e164: string) => ({ accountIds: [], emails: [], phones: [e164], userIds: [] });
