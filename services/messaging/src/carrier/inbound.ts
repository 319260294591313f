import { v7 as uuidv7 } from 'uuid';
import { identifierHashes, isErased, matchingHashes, webhookUrlProblem, type Transaction } from '@parley/kit';
import { callbacksV1 } from '@parley/proto';
import type { MessagingDeps, ResolvedNumber } from '../deps';
import type { MessageRow } from '../db/schema';
import type { InboundMessage } from '../domain/carrier';
import { DUPLICATE_WINDOW_MS, forwardedText, groupKeyOf, joinParts } from '../domain/inbound';
import { CONFIRMATIONS, keywordOf } from '../domain/keywords';
import { timeOfUuidV7 } from '../domain/messages';
import { RECEIVED_TYPE } from '../domain/twilioCallbacks';
import { publishReceived } from '../events/published';
import { enqueueWebhook } from '../jobs/deliverWebhook';
import { phone, queueMessage } from '../outbound';

const E164 = /^\+[1-9]\d{6,14}$/;

/**
 * Receives a mobile-originated message (or one part of it) for the tenant holding the destination
 * number, in one transaction: the part is kept until its message is whole; then the message is stored
 * `received`, published (messaging.message.received), its keyword acted on (STOP, START, HELP: opt-out
 * list and an answer sent through the normal send path), forwarded to the number's forwarding target and
 * posted to its messaging webhook. Resolves only once all that committed, so the adapter answers the SMSC
 * after it; a crash before: the SMSC sends it again, and a part sent again (answered but the answer lost)
 * finds its row and changes nothing (domain/inbound.ts, DUPLICATE_WINDOW_MS).
 *
 * A number no tenant holds (or an address that is no number): nothing is kept, the SMSC is answered (it
 * would send it again for ever), the log counts it without naming a number. A sender who was erased (a
 * tombstone in the tenant): the message is acted on as any other (an opt-out must be honoured; the
 * tenant's webhook and forwarding get it), but its text is not kept in the message log (metadata only, as
 * after content retention).
 */
export function makeInboundHandler(deps: MessagingDeps) {
  let unknownNumbers = 0;
  // Parts being recorded in this process, by group and part: the SMSC sends a deliver_sm again when its
  // answer is late, and the copy waits for the first instead of piling more work on a busy database.
  const inFlight = new Map<string, Promise<void>>();
  const record = async (message: InboundMessage): Promise<void> => {
    // Only a number can be a tenant's (an address that is none would be refused by numbering for ever).
    const number = E164.test(message.to) ? await deps.numbers.resolve(message.to, '') : undefined;
    if (!number) {
      unknownNumbers += 1;
      deps.log.warn({ unknownNumbers }, 'inbound message to a number no tenant holds: dropped');
      return;
    }
    const tenantId = number.tenantId;
    await deps.withTenant(tenantId, async (tx) => {
      const groupKey = groupKeyOf(message);
      const outcome = await deps.inboundParts.add(
        tx,
        {
          tenantId,
          groupKey,
          seq: message.part?.sequence ?? 1,
          total: message.part?.total ?? 1,
          from: message.from,
          to: message.to,
          encoding: message.encoding,
          text: message.text,
        },
        DUPLICATE_WINDOW_MS,
      );
      if (outcome.state !== 'complete') return;
      const parts = outcome.parts;
      const text = joinParts(parts);
      const encoding = parts.some((part) => part.encoding === 'UCS-2') ? 'UCS-2' : 'GSM-7';
      const row = await receive(deps, tx, number, { ...message, text, encoding }, parts.length);
      await deps.inboundParts.finish(tx, tenantId, groupKey, row.id);
    });
  };
  return async (message: InboundMessage): Promise<void> => {
    const key = `${groupKeyOf(message)}:${message.part?.sequence ?? 1}`;
    const running = inFlight.get(key);
    if (running) return running;
    const recording = record(message).finally(() => inFlight.delete(key));
    inFlight.set(key, recording);
    return recording;
  };
}

async function receive(
  deps: MessagingDeps,
  tx: Transaction,
  number: ResolvedNumber,
  message: InboundMessage,
  segments: number,
): Promise<MessageRow> {
  const tenantId = number.tenantId;
  const sender = phone(message.from);
  const erased = await isErased(tx, tenantId, matchingHashes(deps.subjectHashKeys, tenantId, sender));
  // A keyword from an address that is no number (an alphanumeric sender) cannot be answered or opted out.
  const keyword = E164.test(message.from) ? keywordOf(message.text) : undefined;
  const id = uuidv7();
  const createdAt = timeOfUuidV7(id)!;
  let row = await deps.messages.insert(tx, {
    tenantId,
    id,
    accountId: number.accountId || null,
    direction: 'inbound',
    from: message.from,
    to: message.to,
    body: erased ? null : message.text,
    encoding: message.encoding,
    segments,
    status: 'received',
    senderClass: number.throughputClass || null,
    keyword: keyword?.keyword ?? null,
    // Nothing is sent: it is "expired" as soon as it exists (the column is the send path's).
    expiresAt: createdAt,
    createdAt,
    updatedAt: createdAt,
  });
  await publishReceived(deps.outbox, tx, row);
  const reply = (body: string) =>
    queueMessage(deps, tx, {
      tenantId,
      accountId: row.accountId,
      from: message.to,
      to: message.from,
      body,
      senderClass: row.senderClass,
      keyword: keyword!.keyword,
    });
  if (keyword && keyword.action !== 'help') {
    await deps.optOuts.record(tx, {
      tenantId,
      number: message.to,
      hashes: matchingHashes(deps.subjectHashKeys, tenantId, sender),
      currentHash: identifierHashes(deps.subjectHashKeys, tenantId, sender)[0]!,
      optedOut: keyword.action === 'opt-out',
      keyword: keyword.keyword,
      sourceMessageId: row.id,
    });
    await reply(CONFIRMATIONS[keyword.action]);
  } else if (keyword) {
    await reply((await deps.settings.helpTexts.of(tx, tenantId)) ?? deps.helpTextDefault);
  }
  if (number.forwardingTarget) {
    await queueMessage(deps, tx, {
      tenantId,
      accountId: row.accountId,
      from: message.to,
      to: number.forwardingTarget,
      body: forwardedText(message.from, message.text),
      senderClass: row.senderClass,
      forwardedFrom: message.from,
    });
    row = await deps.messages.forwarded(tx, row, number.forwardingTarget);
  }
  const url = number.messagingWebhookUrl;
  if (url) {
    const problem = webhookUrlProblem(url, deps.webhookPolicy);
    // A URL that can never be posted to: the message stays received, the tenant's webhook misses it.
    if (problem) deps.log.warn({ problem }, 'messaging webhook URL refused; inbound message not posted');
    else
      await enqueueWebhook(deps, tx, {
        tenantId,
        url,
        format:
          number.messagingWebhookFormat === callbacksV1.CallbackFormat.CALLBACK_FORMAT_TWILIO
            ? 'twilio'
            : 'standard_webhooks',
        type: RECEIVED_TYPE,
        occurredAt: row.createdAt,
        data: {
          id: row.id,
          from: row.from,
          to: row.to,
          body: message.text,
          numSegments: row.segments,
          mediaUrls: row.mediaUrls,
          encoding: row.encoding,
          forwardedTo: row.forwardedTo,
          receivedAt: row.createdAt.toISOString(),
        },
      });
  }
  return row;
}
