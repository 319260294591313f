import {
  isRestricted,
  matchingHashes,
  onceForRequest,
  type FieldViolation,
  type RpcContext,
} from '@parley/kit';
import { callbacksV1, type messagingV1 } from '@parley/proto';
import { v7 as uuidv7 } from 'uuid';
import type { MessagingDeps } from '../deps';
import {
  invalidRequest,
  recipientOptedOut,
  recipientRestricted,
  senderCapabilityMissing,
  senderNotFound,
  sendNotAuthorised,
} from '../domain/errors';
import { checkSend } from '../domain/messages';
import { optedOut, phone, queueMessage } from '../outbound';
import type { MessageRow } from '../db/schema';
import { messageRecord } from './mappers';

/**
 * Accepts a message for sending: checks it, checks the sender is the tenant's with the capability the
 * message needs, asks the authorisation port, refuses a recipient who restricted the processing of their
 * data (a privacy restriction: their number may be stored, not used), then stores it `queued` with its first history entry and
 * the job that sends it, in one transaction. Answers at once, with the encoding and segment count. A
 * repeated request (same request id, the gateway's Idempotency-Key) answers with the same message.
 */
export function makeSendMessage(
  deps: Pick<
    MessagingDeps,
    | 'withTenant'
    | 'messages'
    | 'numbers'
    | 'jobs'
    | 'authorisation'
    | 'subjectHashKeys'
    | 'optOuts'
    | 'sendPriorities'
  >,
) {
  return async ({
    request,
    caller,
    requestId,
  }: RpcContext<messagingV1.SendMessageRequest>): Promise<messagingV1.SendMessageResponse> => {
    const violations: FieldViolation[] = [];
    const send = checkSend(request, violations);
    if (!send) throw invalidRequest(violations);
    const tenantId = caller.tenantId;
    // Another tenant's number is as unknown as no number: nothing tells who holds it.
    const sender = await deps.numbers.resolve(send.from, tenantId);
    if (!sender || sender.tenantId !== tenantId) throw senderNotFound();
    if (!sender.capabilities.includes(send.kind)) throw senderCapabilityMissing(send.kind);
    // The id is chosen before billing is asked, so billing can match the send's rating to its reservation.
    const id = uuidv7();
    const answer = await deps.authorisation.authorise({
      tenantId,
      accountId: sender.accountId || null,
      kind: send.kind,
      segments: send.analysis.segments,
      destinationCountry: send.destinationCountry,
      senderClass: sender.throughputClass,
      reference: id,
    });
    if (!answer.allowed) throw sendNotAuthorised(answer.reason, answer.message);
    const queued = deps.withTenant(tenantId, async (tx) => {
      let inserted: MessageRow | undefined;
      const { result } = await onceForRequest(tx, { requestId, operation: 'SendMessage' }, async () => {
        if (await isRestricted(tx, tenantId, matchingHashes(deps.subjectHashKeys, tenantId, phone(send.to))))
          throw recipientRestricted();
        if (await optedOut(deps, tx, tenantId, send.from, send.to)) throw recipientOptedOut();
        inserted = await queueMessage(deps, tx, {
          id,
          tenantId,
          accountId: sender.accountId || null,
          from: send.from,
          to: send.to,
          body: send.body,
          mediaUrls: send.mediaUrls,
          encoding: send.analysis.encoding,
          segments: send.kind === 'mms' && !send.body ? 1 : send.analysis.segments,
          statusCallback: send.statusCallback,
          callbackFormat:
            request.callbackFormat === callbacksV1.CallbackFormat.CALLBACK_FORMAT_TWILIO
              ? 'twilio'
              : 'standard_webhooks',
          senderClass: sender.throughputClass || null,
          validitySeconds: send.validitySeconds,
        });
        return { id: inserted.id, createdAt: inserted.createdAt.toISOString() };
      });
      // A repeated request answers with the first message: this send's reservation is not used.
      if (inserted) return { row: inserted, reused: false };
      return { row: (await deps.messages.find(tx, result.id, new Date(result.createdAt)))!, reused: true };
    });
    // Not queued (refused, or failed): the reservation goes back at once rather than at its expiry.
    const outcome = await queued.catch(async (error: unknown) => {
      await deps.authorisation.release(tenantId, answer.reservationId);
      throw error;
    });
    if (outcome.reused) await deps.authorisation.release(tenantId, answer.reservationId);
    return { message: messageRecord(outcome.row) };
  };
}
