import { decodePageToken, pageSize, type FieldViolation, type RpcContext } from '@parley/kit';
import { messagingV1 } from '@parley/proto';
import type { MessagingDeps } from '../deps';
import type { MessageFilters } from '../db/messages';
import type { MessageStatus } from '../db/schema';
import { invalidRequest } from '../domain/errors';
import { MESSAGE_STATUSES } from '../domain/messages';
import { messageRecord } from './mappers';

const directionFilter: Partial<Record<messagingV1.Direction, 'outbound' | 'inbound'>> = {
  [messagingV1.Direction.DIRECTION_OUTBOUND]: 'outbound',
  [messagingV1.Direction.DIRECTION_INBOUND]: 'inbound',
};

/** A page of the tenant's messages, newest first, narrowed by number, direction, status and time. */
export function makeListMessages(deps: Pick<MessagingDeps, 'withTenant' | 'messages'>) {
  return async ({
    request,
    caller,
  }: RpcContext<messagingV1.ListMessagesRequest>): Promise<messagingV1.ListMessagesResponse> => {
    const violations: FieldViolation[] = [];
    const filters: MessageFilters = {};
    if (request.phoneNumber !== '') {
      if (/^\+[1-9]\d{6,14}$/.test(request.phoneNumber)) filters.phoneNumber = request.phoneNumber;
      else violations.push({ field: 'phoneNumber', description: 'an E.164 number, e.g. +14155550123' });
    }
    const direction = directionFilter[request.direction];
    if (direction) filters.direction = direction;
    if (request.status !== '') {
      if (MESSAGE_STATUSES.includes(request.status as MessageStatus))
        filters.status = request.status as MessageStatus;
      else violations.push({ field: 'status', description: `one of ${MESSAGE_STATUSES.join(', ')}` });
    }
    if (request.createdAfter) filters.createdAfter = request.createdAfter;
    if (request.createdBefore) filters.createdBefore = request.createdBefore;
    if (violations.length > 0) throw invalidRequest(violations);
    const page = await deps.withTenant(caller.tenantId, (tx) =>
      deps.messages.list(tx, filters, pageSize(request.pageSize), decodePageToken(request.pageToken)),
    );
    return { messages: page.items.map(messageRecord), nextPageToken: page.nextPageToken };
  };
}
