import { bigint, boolean, char, pgTable, smallint, text, timestamp, uuid } from 'drizzle-orm/pg-core';

// Tables of migration 0003 (payments).

export const paymentMethods = pgTable('payment_methods', {
  id: text('id').primaryKey(),
  tenantId: text('tenant_id').notNull(),
  processor: text('processor').notNull(),
  processorToken: text('processor_token').notNull(),
  brand: text('brand').notNull(),
  last4: text('last4').notNull(),
  expMonth: smallint('exp_month').notNull(),
  expYear: smallint('exp_year').notNull(),
  isDefault: boolean('is_default').notNull(),
  /** The identity-provider user who added it ('' for an API key or client: the tenant account holder's). */
  addedBy: text('added_by').notNull().default(''),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

export const topUpStatuses = ['pending', 'requires_action', 'succeeded', 'failed'] as const;
export type TopUpStatus = (typeof topUpStatuses)[number];

/** Where the charge of a record paid by one stands (a top-up, an invoice payment): fresh builders per table. */
const chargeColumns = () => ({
  status: text('status', { enum: topUpStatuses }).notNull(),
  chargeId: text('charge_id'),
  failureCode: text('failure_code'),
  failureMessage: text('failure_message'),
  nextActionUrl: text('next_action_url'),
});

export const topUps = pgTable('top_ups', {
  id: text('id').primaryKey(),
  tenantId: text('tenant_id').notNull(),
  requestKey: text('request_key').notNull(),
  /** Null once the card was erased (privacy): the top-up itself is a financial record and stays. */
  paymentMethodId: text('payment_method_id'),
  amountMinor: bigint('amount_minor', { mode: 'bigint' }).notNull(),
  currency: char('currency', { length: 3 }).notNull(),
  ...chargeColumns(),
  refundedMinor: bigint('refunded_minor', { mode: 'bigint' }).notNull().default(0n),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

export type TopUpRow = typeof topUps.$inferSelect;

export const refunds = pgTable('refunds', {
  id: text('id').primaryKey(),
  tenantId: text('tenant_id').notNull(),
  requestKey: text('request_key').notNull(),
  topUpId: text('top_up_id').notNull(),
  amountMinor: bigint('amount_minor', { mode: 'bigint' }).notNull(),
  currency: char('currency', { length: 3 }).notNull(),
  status: text('status', { enum: ['pending', 'succeeded', 'failed'] }).notNull(),
  reason: text('reason').notNull().default(''),
  processorRefundId: text('processor_refund_id'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

export type RefundRow = typeof refunds.$inferSelect;

export const paymentWebhookEvents = pgTable('payment_webhook_events', {
  eventId: text('event_id').primaryKey(),
  tenantId: text('tenant_id').notNull(),
  type: text('type').notNull(),
  receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
});

// Tables of migration 0008 (invoice payments).

export const invoicePayments = pgTable('invoice_payments', {
  id: text('id').primaryKey(),
  tenantId: text('tenant_id').notNull(),
  invoiceId: uuid('invoice_id').notNull(),
  requestKey: text('request_key').notNull(),
  trigger: text('trigger', { enum: ['automatic', 'on_demand'] }).notNull(),
  paymentMethodId: text('payment_method_id'),
  amountMinor: bigint('amount_minor', { mode: 'bigint' }).notNull(),
  currency: char('currency', { length: 3 }).notNull(),
  ...chargeColumns(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

export type InvoicePaymentRow = typeof invoicePayments.$inferSelect;
