import { messagingV1 } from '@parley/proto';
import type { MessageRow, StatusChangeRow } from '../db/schema';

export const directions: Record<string, messagingV1.Direction> = {
  outbound: messagingV1.Direction.DIRECTION_OUTBOUND,
  inbound: messagingV1.Direction.DIRECTION_INBOUND,
};

export function messageRecord(row: MessageRow): messagingV1.MessageRecord {
  return {
    id: row.id,
    direction: directions[row.direction] ?? messagingV1.Direction.DIRECTION_UNSPECIFIED,
    from: row.from,
    to: row.to,
    segments: row.segments,
    status: row.status,
    createdAt: row.createdAt,
    accountId: row.accountId ?? '',
    body: row.body ?? '',
    mediaUrls: row.mediaUrls,
    encoding: row.encoding,
    errorCode: row.errorCode ?? '',
    carrierMessageIds: row.carrierMessageIds,
    statusCallback: row.statusCallback ?? '',
    expiresAt: row.expiresAt,
    updatedAt: row.updatedAt,
    forwardedTo: row.forwardedTo ?? '',
  };
}

export const statusChange = (row: StatusChangeRow): messagingV1.StatusChange => ({
  status: row.status,
  errorCode: row.errorCode ?? '',
  at: row.at,
});
