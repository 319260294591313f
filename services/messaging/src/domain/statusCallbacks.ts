// Status callbacks: the tenant's URL is told of every status change of a message. Delivery (Standard
// Webhooks signatures, retries, parking) belongs to the webhooks part of issue 11; the send path only
// hands each callback over, in the transaction of the status change it reports.
import type { Transaction } from '@parley/kit';

export interface StatusCallback {
  tenantId: string;
  url: string;
  /** The event type, e.g. messaging.message.delivered. */
  type: string;
  data: Record<string, unknown>;
}

/** The port the webhooks module implements (`enqueueWebhook(tx, { tenantId, url, type, data })`). */
export interface StatusCallbacks {
  enqueue(tx: Transaction, callback: StatusCallback): Promise<void>;
}

/**
 * Records nothing and sends nothing: the placeholder until the webhooks module's `enqueueWebhook` is
 * merged. Replace it in app.ts with `{ enqueue: (tx, callback) => enqueueWebhook(tx, callback) }`.
 */
export const statusCallbacksPendingWebhooksModule: StatusCallbacks = {
  enqueue: () => Promise.resolve(),
};
