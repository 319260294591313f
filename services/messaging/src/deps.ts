import type { Database, Jobs, Transaction, WebhookPostResult } from '@parley/kit';
import type { MessageRepository } from './db/messages';
import type { WebhookRepository } from './db/webhooks';
import type { RetryPolicy } from './domain/webhooks';

/** What messaging's handlers and jobs are made from (built once in app.ts). */
export interface MessagingDeps {
  db: Database;
  /** A tenant transaction that wakes the outbox relay after it commits. */
  withTenant<R>(tenantId: string, work: (tx: Transaction) => Promise<R>): Promise<R>;
  jobs: Jobs;
  messages: MessageRepository;
  webhooks: WebhookRepository;
  webhookPolicy: WebhookPolicy;
  /** Posts one signed webhook attempt (the kit's SSRF-safe poster, configured). */
  postWebhook(url: string, body: string, headers: Record<string, string>): Promise<WebhookPostResult>;
  now(): Date;
}

export interface WebhookPolicy {
  retry: RetryPolicy;
  /** Dev mode: webhook URLs may point at loopback and private addresses. */
  allowPrivate: boolean;
  /** How long a finished delivery is kept. */
  retentionMs: number;
}

export const QUEUES = {
  /** One attempt to deliver a webhook; a failed attempt schedules the next one itself. */
  deliverWebhook: 'messaging-deliver-webhook',
  /** Deletes a tenant's finished deliveries once they are older than the retention (one queued per tenant). */
  webhookRetention: 'messaging-webhook-retention',
} as const;

/** How often a tenant's finished deliveries are looked at for deletion. */
export const WEBHOOK_RETENTION_CHECK_MS = 24 * 60 * 60 * 1000;
