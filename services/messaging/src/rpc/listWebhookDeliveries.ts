import { decodePageToken, pageSize, type RpcContext } from '@parley/kit';
import { messagingV1 } from '@parley/proto';
import type { MessagingDeps } from '../deps';
import { webhookRequestInvalid } from '../domain/errors';
import { deliveryMessage, deliveryStatusOf } from './webhookMappers';

/** The tenant's webhook deliveries, newest first, optionally in one status (`failed`: the parked ones). */
export function makeListWebhookDeliveries(deps: Pick<MessagingDeps, 'webhooks'>) {
  return async ({
    request,
    caller,
  }: RpcContext<messagingV1.ListWebhookDeliveriesRequest>): Promise<messagingV1.ListWebhookDeliveriesResponse> => {
    const any = request.status === messagingV1.WebhookDeliveryStatus.WEBHOOK_DELIVERY_STATUS_UNSPECIFIED;
    const status = deliveryStatusOf(request.status);
    if (!any && !status)
      throw webhookRequestInvalid([
        { field: 'status', description: 'pending, delivered, failed or disabled' },
      ]);
    const page = await deps.webhooks.listDeliveries(
      caller.tenantId,
      status,
      pageSize(request.pageSize),
      decodePageToken(request.pageToken),
    );
    return { deliveries: page.items.map(deliveryMessage), nextPageToken: page.nextPageToken };
  };
}
