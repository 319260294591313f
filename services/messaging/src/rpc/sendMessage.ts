import { v7 as uuidv7 } from 'uuid';
import {
  isRestricted,
  matchingHashes,
  onceForRequest,
  type FieldViolation,
  type RpcContext,
} from '@parley/kit';
import type { messagingV1 } from '@parley/proto';
import { QUEUES, sendJobOptions, type MessagingDeps } from '../deps';
import {
  invalidRequest,
  recipientRestricted,
  senderCapabilityMissing,
  senderNotFound,
  sendNotAuthorised,
} from '../domain/errors';
import { checkSend, timeOfUuidV7 } from '../domain/messages';
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
    'withTenant' | 'messages' | 'numbers' | 'jobs' | 'authorisation' | 'subjectHashKeys'
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
    const answer = await deps.authorisation.authorise({
      tenantId,
      accountId: sender.accountId || null,
      kind: send.kind,
      segments: send.analysis.segments,
      destinationCountry: send.destinationCountry,
      senderClass: sender.throughputClass,
    });
    if (!answer.allowed) throw sendNotAuthorised(answer.reason, answer.message);
    const row = await deps.withTenant(tenantId, async (tx) => {
      const { result } = await onceForRequest(tx, { requestId, operation: 'SendMessage' }, async () => {
        const recipient = { accountIds: [], emails: [], phones: [send.to], userIds: [] };
        if (await isRestricted(tx, tenantId, matchingHashes(deps.subjectHashKeys, tenantId, recipient)))
          throw recipientRestricted();
        const id = uuidv7();
        const createdAt = timeOfUuidV7(id)!;
        await deps.messages.insert(tx, {
          tenantId,
          id,
          accountId: sender.accountId || null,
          direction: 'outbound',
          from: send.from,
          to: send.to,
          body: send.body,
          mediaUrls: send.mediaUrls,
          encoding: send.analysis.encoding,
          segments: send.kind === 'mms' && !send.body ? 1 : send.analysis.segments,
          status: 'queued',
          statusCallback: send.statusCallback,
          senderClass: sender.throughputClass || null,
          expiresAt: new Date(createdAt.getTime() + send.validitySeconds * 1000),
          createdAt,
          updatedAt: createdAt,
        });
        await deps.jobs.send(QUEUES.send, { messageId: id }, { tx, id, ...sendJobOptions(tenantId) });
        return { id, createdAt: createdAt.toISOString() };
      });
      return (await deps.messages.find(tx, result.id, new Date(result.createdAt)))!;
    });
    return { message: messageRecord(row) };
  };
}
