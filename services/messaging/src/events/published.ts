// The events messaging publishes, through the outbox in the transaction of the status change they record.
import type { MessageType, Outbox, Transaction } from '@parley/kit';
import { messagingV1 } from '@parley/proto';
import type { CallRow, MessageRow } from '../db/schema';
import { countryOf } from '../domain/messages';

/** One event about a message: keyed by it, so consumers apply a message's events in commit order. */
function publish<T>(
  outbox: Outbox,
  tx: Transaction,
  row: MessageRow,
  type: string,
  payloadType: string,
  messageType: MessageType<T>,
  payload: T,
) {
  return outbox.enqueue(tx, {
    type,
    tenantId: row.tenantId,
    key: `message:${row.id}`,
    subject: {
      accountIds: row.accountId ? [row.accountId] : [],
      emails: [],
      phones: [row.direction === 'outbound' ? row.to : row.from],
      userIds: [],
    },
    payloadType,
    messageType,
    payload,
  });
}

/** `messaging.message.sent`: what billing rates a message by. */
export function publishSent(outbox: Outbox, tx: Transaction, row: MessageRow, destinationCountry: string) {
  return publish(
    outbox,
    tx,
    row,
    'messaging.message.sent',
    'parley.messaging.v1.MessageSent',
    messagingV1.MessageSent,
    {
      messageId: row.id,
      accountId: row.accountId ?? '',
      segments: row.segments,
      encoding: row.encoding,
      destinationCountry,
      senderClass: row.senderClass ?? '',
      kind: row.mediaUrls.length > 0 ? 'mms' : 'sms',
      sentAt: row.updatedAt,
      from: row.from,
      to: row.to,
    },
  );
}

/** `messaging.message.delivered`. */
export function publishDelivered(outbox: Outbox, tx: Transaction, row: MessageRow) {
  return publish(
    outbox,
    tx,
    row,
    'messaging.message.delivered',
    'parley.messaging.v1.MessageDelivered',
    messagingV1.MessageDelivered,
    { messageId: row.id, deliveredAt: row.updatedAt },
  );
}

/** `messaging.message.received`: what billing rates an inbound message by. */
export function publishReceived(outbox: Outbox, tx: Transaction, row: MessageRow) {
  return publish(
    outbox,
    tx,
    row,
    'messaging.message.received',
    'parley.messaging.v1.MessageReceived',
    messagingV1.MessageReceived,
    {
      messageId: row.id,
      accountId: row.accountId ?? '',
      segments: row.segments,
      encoding: row.encoding,
      originCountry: countryOf(row.from),
      receiverClass: row.senderClass ?? '',
      receivedAt: row.createdAt,
      from: row.from,
      to: row.to,
    },
  );
}

/** `messaging.message.failed`: undelivered, failed or expired. */
export function publishFailed(outbox: Outbox, tx: Transaction, row: MessageRow) {
  return publish(
    outbox,
    tx,
    row,
    'messaging.message.failed',
    'parley.messaging.v1.MessageFailed',
    messagingV1.MessageFailed,
    {
      messageId: row.id,
      status: row.status,
      errorCode: row.errorCode ?? '',
      segmentsSent: row.carrierMessageIds.length,
      failedAt: row.updatedAt,
    },
  );
}

/**
 * `messaging.call.recorded`: a call detail record was stored; billing rates minutes from it. Keyed by the
 * call; its subject is the other party (and the account of the tenant's number).
 */
export function publishCallRecorded(outbox: Outbox, tx: Transaction, row: CallRow) {
  return outbox.enqueue(tx, {
    type: 'messaging.call.recorded',
    tenantId: row.tenantId,
    key: `call:${row.id}`,
    subject: {
      accountIds: row.accountId ? [row.accountId] : [],
      emails: [],
      phones: [row.direction === 'inbound' ? row.from : row.to],
      userIds: [],
    },
    payloadType: 'parley.messaging.v1.CallRecorded',
    messageType: messagingV1.CallRecorded,
    payload: {
      callId: row.id,
      accountId: row.accountId ?? '',
      direction: row.direction,
      disposition: row.disposition,
      durationSeconds: row.durationSeconds,
      peerCountry: countryOf(row.direction === 'inbound' ? row.from : row.to),
      forwardedCountry: row.forwardedTo ? countryOf(row.forwardedTo) : '',
      startedAt: row.startedAt,
      endedAt: row.endedAt,
      from: row.from,
      to: row.to,
    },
  });
}
