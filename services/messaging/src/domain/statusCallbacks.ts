// Status callbacks: the tenant's URL is told of every status change of a message. Delivery (Standard
// Webhooks signatures, retries, parking) is the webhooks module's (jobs/deliverWebhook.ts, wired in
// app.ts); the send path only hands each callback over, in the transaction of the status change.
import type { Transaction } from '@parley/kit';
import type { CallbackFormat } from '../db/schema';

export interface StatusCallback {
  tenantId: string;
  url: string;
  /** Standard Webhooks, or Twilio's format for a message sent through the Twilio-compatible API. */
  format: CallbackFormat;
  /** The event type, e.g. messaging.message.delivered. */
  type: string;
  data: Record<string, unknown>;
}

/** The port the webhooks module implements (`enqueueWebhook`). */
export interface StatusCallbacks {
  enqueue(tx: Transaction, callback: StatusCallback): Promise<void>;
}
