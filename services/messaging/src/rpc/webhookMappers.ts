import { messagingV1 } from '@parley/proto';
import type { WebhookDeliveryRow, WebhookSecretRow } from '../db/schema';
import { isSigning, type WebhookDeliveryStatus } from '../domain/webhooks';

const Status = messagingV1.WebhookDeliveryStatus;

export const deliveryStatuses: Record<WebhookDeliveryStatus, messagingV1.WebhookDeliveryStatus> = {
  pending: Status.WEBHOOK_DELIVERY_STATUS_PENDING,
  delivered: Status.WEBHOOK_DELIVERY_STATUS_DELIVERED,
  failed: Status.WEBHOOK_DELIVERY_STATUS_FAILED,
  disabled: Status.WEBHOOK_DELIVERY_STATUS_DISABLED,
};

/** The status a filter names, or undefined for "any"; an unknown value is undefined too (checked by the caller). */
export function deliveryStatusOf(
  status: messagingV1.WebhookDeliveryStatus,
): WebhookDeliveryStatus | undefined {
  return (Object.keys(deliveryStatuses) as WebhookDeliveryStatus[]).find(
    (name) => deliveryStatuses[name] === status,
  );
}

/** A secret's description; its value is never part of it. */
export function secretMessage(row: WebhookSecretRow, now: Date): messagingV1.WebhookSecret {
  return {
    id: row.id,
    createdAt: row.createdAt,
    retiredAt: row.retiredAt ?? undefined,
    expiresAt: row.expiresAt ?? undefined,
    signing: isSigning(row, now),
  };
}

export function deliveryMessage(row: WebhookDeliveryRow): messagingV1.WebhookDelivery {
  return {
    id: row.id,
    url: row.url,
    type: row.type,
    status: deliveryStatuses[row.status],
    attempts: row.attempts,
    lastStatusCode: row.lastStatusCode ?? 0,
    lastError: row.lastError ?? '',
    nextAttemptAt: row.nextAttemptAt ?? undefined,
    createdAt: row.createdAt,
    deliveredAt: row.deliveredAt ?? undefined,
  };
}
