import { integer, jsonb, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import type { WebhookFailureClass, WebhookDeliveryStatus } from '../domain/webhooks';

const at = (name: string) => timestamp(name, { withTimezone: true });

export const messages = pgTable('messages', {
  id: uuid('id').primaryKey().defaultRandom(),
  tenantId: text('tenant_id').notNull(),
  direction: text('direction').notNull(),
  from: text('from_e164').notNull(),
  to: text('to_e164').notNull(),
  segments: integer('segments').notNull(),
  status: text('status').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

export type MessageRow = typeof messages.$inferSelect;

export const webhookSecrets = pgTable('webhook_secrets', {
  id: uuid('id').primaryKey(),
  tenantId: text('tenant_id').notNull(),
  secret: text('secret').notNull(),
  createdAt: at('created_at').notNull().defaultNow(),
  retiredAt: at('retired_at'),
  expiresAt: at('expires_at'),
});

export const disabledWebhookEndpoints = pgTable(
  'disabled_webhook_endpoints',
  {
    tenantId: text('tenant_id').notNull(),
    url: text('url').notNull(),
    disabledAt: at('disabled_at').notNull().defaultNow(),
  },
  (table) => [primaryKey({ columns: [table.tenantId, table.url] })],
);

export const webhookDeliveries = pgTable('webhook_deliveries', {
  id: uuid('id').primaryKey(),
  tenantId: text('tenant_id').notNull(),
  url: text('url').notNull(),
  type: text('type').notNull(),
  payload: jsonb('payload').$type<WebhookPayload>().notNull(),
  status: text('status').$type<WebhookDeliveryStatus>().notNull().default('pending'),
  attempts: integer('attempts').notNull().default(0),
  lastStatusCode: integer('last_status_code'),
  lastError: text('last_error').$type<WebhookFailureClass>(),
  retryFrom: at('retry_from').notNull().defaultNow(),
  nextAttemptAt: at('next_attempt_at'),
  createdAt: at('created_at').notNull().defaultNow(),
  deliveredAt: at('delivered_at'),
  updatedAt: at('updated_at').notNull().defaultNow(),
});

/** The body of a webhook, as Standard Webhooks' examples shape it. */
export interface WebhookPayload {
  type: string;
  /** When the event happened, ISO 8601. */
  timestamp: string;
  data: Record<string, unknown>;
}

export type WebhookSecretRow = typeof webhookSecrets.$inferSelect;
export type WebhookDeliveryRow = typeof webhookDeliveries.$inferSelect;
