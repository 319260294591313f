import { sql } from 'drizzle-orm';
import type { SupplierPortInRequest } from '../domain/supplier';
import { bigint, integer, jsonb, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';

const at = (name: string) => timestamp(name, { withTimezone: true });

export const tenantSettings = pgTable('tenant_settings', {
  tenantId: text('tenant_id').primaryKey(),
  billingCurrency: text('billing_currency').notNull().default('USD'),
  quarantineDays: integer('quarantine_days').notNull().default(30),
  erasurePolicy: text('erasure_policy').$type<'unassign' | 'release'>().notNull().default('unassign'),
  updatedAt: at('updated_at').notNull().defaultNow(),
});

export const numbers = pgTable('numbers', {
  id: uuid('id').primaryKey().defaultRandom(),
  tenantId: text('tenant_id').notNull(),
  e164: text('e164').notNull(),
  country: text('country').notNull(),
  assignedAt: at('assigned_at').notNull().defaultNow(),
  status: text('status').$type<'active' | 'quarantined' | 'released'>().notNull().default('active'),
  type: text('type').notNull().default('local'),
  capabilities: text('capabilities')
    .array()
    .notNull()
    .default(sql`'{}'`),
  locality: text('locality').notNull().default(''),
  region: text('region').notNull().default(''),
  accountId: text('account_id'),
  friendlyName: text('friendly_name').notNull().default(''),
  forwardingTarget: text('forwarding_target'),
  callerId: text('caller_id'),
  messagingWebhookUrl: text('messaging_webhook_url'),
  messagingWebhookFormat: text('messaging_webhook_format')
    .$type<'standard_webhooks' | 'twilio'>()
    .notNull()
    .default('standard_webhooks'),
  voiceWebhookUrl: text('voice_webhook_url'),
  messagingProfile: text('messaging_profile').notNull().default(''),
  throughputClass: text('throughput_class').notNull().default('long_code'),
  currency: text('currency').notNull().default('USD'),
  setupMinor: bigint('setup_minor', { mode: 'bigint' }).notNull().default(0n),
  monthlyMinor: bigint('monthly_minor', { mode: 'bigint' }).notNull().default(0n),
  source: text('source').$type<'purchase' | 'port_in'>().notNull().default('purchase'),
  sourceId: text('source_id').notNull().default(''),
  releasedAt: at('released_at'),
  quarantineUntil: at('quarantine_until'),
  reclaimUntil: at('reclaim_until'),
  updatedAt: at('updated_at').notNull().defaultNow(),
});

export const numberDirectory = pgTable('number_directory', {
  e164: text('e164').primaryKey(),
  tenantId: text('tenant_id').notNull(),
  numberId: uuid('number_id'),
  state: text('state').$type<'ordering' | 'active' | 'porting' | 'quarantined'>().notNull(),
  quarantineUntil: at('quarantine_until'),
  reclaimUntil: at('reclaim_until'),
  updatedAt: at('updated_at').notNull().defaultNow(),
});

export const offers = pgTable(
  'offers',
  {
    tenantId: text('tenant_id').notNull(),
    e164: text('e164').notNull(),
    country: text('country').notNull(),
    locality: text('locality').notNull(),
    region: text('region').notNull(),
    areaCode: text('area_code').notNull(),
    type: text('type').notNull(),
    capabilities: text('capabilities').array().notNull(),
    currency: text('currency').notNull(),
    setupMinor: bigint('setup_minor', { mode: 'bigint' }).notNull(),
    monthlyMinor: bigint('monthly_minor', { mode: 'bigint' }).notNull(),
    seenAt: at('seen_at').notNull().defaultNow(),
  },
  (table) => [primaryKey({ columns: [table.tenantId, table.e164] })],
);

export const reservations = pgTable('reservations', {
  id: uuid('id').primaryKey(),
  tenantId: text('tenant_id').notNull(),
  phoneNumbers: text('phone_numbers').array().notNull(),
  supplierReservationId: text('supplier_reservation_id').notNull(),
  expiresAt: at('expires_at').notNull(),
  createdAt: at('created_at').notNull().defaultNow(),
});

export const numberOrders = pgTable('number_orders', {
  id: uuid('id').primaryKey(),
  tenantId: text('tenant_id').notNull(),
  e164: text('e164').notNull(),
  accountId: text('account_id'),
  status: text('status').$type<'pending' | 'active' | 'failed'>().notNull(),
  failureReason: text('failure_reason'),
  reservationId: uuid('reservation_id'),
  supplierOrderId: text('supplier_order_id'),
  numberId: uuid('number_id'),
  createdAt: at('created_at').notNull().defaultNow(),
  completedAt: at('completed_at'),
});

/** The service address of a port-in, as the supplier takes it. */
export type PortInAddressColumn = SupplierPortInRequest['address'];
export interface PortInDocumentColumn {
  kind: string;
  fileName: string;
  sizeBytes: number;
}

export type PortInStatus =
  'draft' | 'submitted' | 'exception' | 'foc_date_confirmed' | 'activating' | 'ported' | 'cancelled';

export const portIns = pgTable('port_ins', {
  id: uuid('id').primaryKey(),
  tenantId: text('tenant_id').notNull(),
  status: text('status').$type<PortInStatus>().notNull(),
  phoneNumbers: text('phone_numbers').array().notNull(),
  losingCarrier: text('losing_carrier').notNull(),
  accountNumber: text('account_number'),
  pin: text('pin'),
  authorizedName: text('authorized_name'),
  address: jsonb('address').$type<PortInAddressColumn | null>(),
  requestedDate: at('requested_date').notNull(),
  focDate: at('foc_date'),
  exceptionReason: text('exception_reason'),
  documents: jsonb('documents').$type<PortInDocumentColumn[]>().notNull().default([]),
  accountId: text('account_id'),
  supplierPortInId: text('supplier_port_in_id'),
  createdAt: at('created_at').notNull().defaultNow(),
  updatedAt: at('updated_at').notNull().defaultNow(),
  completedAt: at('completed_at'),
});

export type NumberRow = typeof numbers.$inferSelect;
export type OrderRow = typeof numberOrders.$inferSelect;
export type PortInRow = typeof portIns.$inferSelect;
export type OfferRow = typeof offers.$inferSelect;
export type ReservationRow = typeof reservations.$inferSelect;
