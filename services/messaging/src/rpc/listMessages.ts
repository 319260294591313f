import { decodePageToken, pageSize, type RpcContext } from '@parley/kit';
import { messagingV1 } from '@parley/proto';
import type { MessageRepository } from '../db/messages';

const directions: Record<string, messagingV1.Direction> = {
  outbound: messagingV1.Direction.DIRECTION_OUTBOUND,
  inbound: messagingV1.Direction.DIRECTION_INBOUND,
};

export function makeListMessages(deps: { messages: MessageRepository }) {
  return async ({
    request,
    caller,
  }: RpcContext<messagingV1.ListMessagesRequest>): Promise<messagingV1.ListMessagesResponse> => {
    const page = await deps.messages.list(
      caller.tenantId,
      pageSize(request.pageSize),
      decodePageToken(request.pageToken),
    );
    return {
      messages: page.items.map((row) => ({
        id: row.id,
        direction: directions[row.direction] ?? messagingV1.Direction.DIRECTION_UNSPECIFIED,
        from: row.from,
        to: row.to,
        segments: row.segments,
        status: row.status,
        createdAt: row.createdAt,
      })),
      nextPageToken: page.nextPageToken,
    };
  };
}
