import type { RpcContext } from '@parley/kit';
import type { messagingV1 } from '@parley/proto';
import type { MessagingDeps } from '../deps';
import { invalidRequest, messageNotFound } from '../domain/errors';
import { timeOfUuidV7 } from '../domain/messages';
import { messageRecord, statusChange } from './mappers';

/** One of the tenant's messages with its status history, oldest first. */
export function makeGetMessage(deps: Pick<MessagingDeps, 'withTenant' | 'messages'>) {
  return async ({
    request,
    caller,
  }: RpcContext<messagingV1.GetMessageRequest>): Promise<messagingV1.GetMessageResponse> => {
    if (request.id === '') throw invalidRequest([{ field: 'id', description: 'a message id' }]);
    // Message ids are UUIDv7: their time is the message's creation, which finds its partition.
    const createdAt = timeOfUuidV7(request.id);
    if (!createdAt) throw messageNotFound();
    return deps.withTenant(caller.tenantId, async (tx) => {
      const row = await deps.messages.find(tx, request.id, createdAt);
      if (!row) throw messageNotFound();
      const history = await deps.messages.history(tx, row);
      return { message: messageRecord(row), history: history.map(statusChange) };
    });
  };
}
