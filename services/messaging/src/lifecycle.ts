// A message's status changes: each recorded in its history, published through the outbox and handed to
// its status callback, all in the transaction of the change.
import type { Transaction } from '@parley/kit';
import type { MessagingDeps } from './deps';
import type { MessageRow, MessageStatus } from './db/schema';
import { queueContentSweep } from './jobs/retention';
import { countryOf, FINAL_STATUSES } from './domain/messages';
import { publishDelivered, publishFailed, publishSent } from './events/published';

export async function moveTo(
  deps: Pick<MessagingDeps, 'messages' | 'outbox' | 'statusCallbacks' | 'jobs' | 'sweepsQueued'>,
  tx: Transaction,
  row: MessageRow,
  status: MessageStatus,
  changes: Partial<Pick<MessageRow, 'errorCode' | 'carrierMessageIds'>> = {},
): Promise<MessageRow> {
  const moved = await deps.messages.transition(tx, row, status, changes);
  if (status === 'sent') await publishSent(deps.outbox, tx, moved, countryOf(moved.to));
  else if (status === 'delivered') await publishDelivered(deps.outbox, tx, moved);
  else if (status === 'undelivered' || status === 'failed' || status === 'expired')
    await publishFailed(deps.outbox, tx, moved);
  // A final status starts the content's retention: its tenant's sweep is queued (one per tenant and window).
  if (FINAL_STATUSES.has(status)) await queueContentSweep(deps, tx, moved.tenantId);
  if (moved.statusCallback && status !== 'sending') {
    await deps.statusCallbacks.enqueue(tx, {
      tenantId: moved.tenantId,
      url: moved.statusCallback,
      format: moved.callbackFormat,
      type: `messaging.message.${status}`,
      data: {
        id: moved.id,
        status,
        errorCode: moved.errorCode,
        from: moved.from,
        to: moved.to,
        segments: moved.segments,
        at: moved.updatedAt.toISOString(),
      },
    });
  }
  return moved;
}
