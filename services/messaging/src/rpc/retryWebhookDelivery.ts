import type { RpcContext } from '@parley/kit';
import type { messagingV1 } from '@parley/proto';
import type { MessagingDeps } from '../deps';
import { webhookDeliveryNotFound, webhookDeliveryNotRetryable } from '../domain/errors';
import { scheduleAttempt } from '../jobs/deliverWebhook';
import { deliveryMessage } from './webhookMappers';

/**
 * Sends a parked (failed) or disabled delivery again, now, with a fresh retry window. Retrying a delivery
 * that its endpoint's 410 disabled takes the endpoint off the disabled list. A pending delivery is answered
 * unchanged; a delivered one is refused.
 */
export function makeRetryWebhookDelivery(
  deps: Pick<MessagingDeps, 'withTenant' | 'webhooks' | 'jobs' | 'now'>,
) {
  return async ({
    request,
    caller,
  }: RpcContext<messagingV1.RetryWebhookDeliveryRequest>): Promise<messagingV1.RetryWebhookDeliveryResponse> => {
    const now = deps.now();
    const row = await deps.withTenant(caller.tenantId, async (tx) => {
      const found = await deps.webhooks.findDelivery(tx, request.deliveryId, true);
      if (!found) throw webhookDeliveryNotFound();
      if (found.status === 'pending') return found;
      if (found.status === 'delivered') throw webhookDeliveryNotRetryable(found.status);
      if (found.status === 'disabled') await deps.webhooks.enable(tx, found.url);
      const pending = await deps.webhooks.updateDelivery(tx, found.id, {
        status: 'pending',
        retryFrom: now,
        nextAttemptAt: now,
      });
      await scheduleAttempt(deps, tx, pending, now);
      return pending;
    });
    return { delivery: deliveryMessage(row) };
  };
}
