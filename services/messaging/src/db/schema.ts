import {
  boolean,
  inet,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uuid,
} from 'drizzle-orm/pg-core';
import type { ThroughputClass } from '../domain/pacing';
import type { WebhookFailureClass, WebhookDeliveryStatus } from '../domain/webhooks';

const at = (name: string) => timestamp(name, { withTimezone: true });

/** The monthly-partitioned tables (services/kit/PARTITIONS.md). */
export const PARTITIONED = {
  messages: { table: 'messages', column: 'created_at', key: ['tenant_id', 'created_at', 'id'] },
  history: {
    table: 'message_status_history',
    column: 'message_created_at',
    key: ['tenant_id', 'message_created_at', 'message_id', 'seq'],
  },
  calls: { table: 'calls', column: 'started_at', key: ['tenant_id', 'started_at', 'id'] },
  callRecordings: {
    table: 'call_recordings',
    column: 'call_started_at',
    key: ['tenant_id', 'call_started_at', 'id'],
  },
} as const;

/** Messages (migration 0003): monthly partitions on created_at. */
export const messages = pgTable(
  'messages',
  {
    tenantId: text('tenant_id').notNull(),
    id: uuid('id').notNull(),
    accountId: text('account_id'),
    direction: text('direction').$type<'outbound' | 'inbound'>().notNull(),
    from: text('from_e164').notNull(),
    to: text('to_e164').notNull(),
    body: text('body'),
    mediaUrls: text('media_urls').array().notNull().default([]),
    encoding: text('encoding').$type<'GSM-7' | 'UCS-2'>().notNull(),
    segments: integer('segments').notNull(),
    status: text('status').$type<MessageStatus>().notNull(),
    errorCode: text('error_code'),
    carrierMessageIds: text('carrier_message_ids').array().notNull().default([]),
    statusCallback: text('status_callback'),
    /** How the status callback is posted (migration 0007). */
    callbackFormat: text('callback_format').$type<CallbackFormat>().notNull().default('standard_webhooks'),
    senderClass: text('sender_class'),
    sendAt: timestamp('send_at', { withTimezone: true }),
    /** Inbound: where it was forwarded (migration 0004). */
    forwardedTo: text('forwarded_to'),
    /** Outbound: the sender of the inbound message this one forwards. */
    forwardedFrom: text('forwarded_from'),
    /** Inbound: the opt-out keyword it carried; outbound: the keyword it answers (sent even when opted out). */
    keyword: text('keyword').$type<Keyword>(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
    /** When the current attempt to hand it to the carrier began (migration 0009; domain/inDoubt.ts). */
    submitStartedAt: timestamp('submit_started_at', { withTimezone: true }),
  },
  (table) => [primaryKey({ columns: [table.tenantId, table.createdAt, table.id] })],
);

export const messageStatusHistory = pgTable(
  'message_status_history',
  {
    tenantId: text('tenant_id').notNull(),
    messageId: uuid('message_id').notNull(),
    messageCreatedAt: timestamp('message_created_at', { withTimezone: true }).notNull(),
    seq: integer('seq').notNull(),
    status: text('status').$type<MessageStatus>().notNull(),
    errorCode: text('error_code'),
    at: timestamp('at', { withTimezone: true }).notNull(),
  },
  (table) => [primaryKey({ columns: [table.tenantId, table.messageCreatedAt, table.messageId, table.seq] })],
);

/** The SMSC's id of each part sent, readable across tenants (a receipt names only that id). */
export const carrierParts = pgTable('carrier_parts', {
  carrierMessageId: text('carrier_message_id').primaryKey(),
  tenantId: text('tenant_id').notNull(),
  messageId: uuid('message_id').notNull(),
  messageCreatedAt: timestamp('message_created_at', { withTimezone: true }).notNull(),
  part: integer('part').notNull(),
  state: text('state').$type<ReceiptState>(),
  errorCode: text('error_code'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

/** Receipts that came before their message was recorded as sent. */
export const earlyReceipts = pgTable('early_receipts', {
  carrierMessageId: text('carrier_message_id').primaryKey(),
  state: text('state').$type<ReceiptState>().notNull(),
  errorCode: text('error_code'),
  receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
  /** Keyed hash of the message the receipt names (migration 0009; domain/inDoubt.ts). */
  echoHash: text('echo_hash'),
});

/** Parts of inbound messages until they are whole, then the duplicate check (migration 0004). */
export const inboundParts = pgTable(
  'inbound_parts',
  {
    tenantId: text('tenant_id').notNull(),
    groupKey: text('group_key').notNull(),
    seq: integer('seq').notNull(),
    total: integer('total').notNull(),
    from: text('from_e164').notNull(),
    to: text('to_e164').notNull(),
    encoding: text('encoding').$type<'GSM-7' | 'UCS-2'>().notNull(),
    text: text('text'),
    messageId: uuid('message_id'),
    receivedAt: at('received_at').notNull().defaultNow(),
  },
  (table) => [primaryKey({ columns: [table.tenantId, table.groupKey, table.seq] })],
);

/** The opt-out list: recipients only as the kit's keyed subject hash (migration 0004). */
export const optOuts = pgTable(
  'opt_outs',
  {
    tenantId: text('tenant_id').notNull(),
    number: text('number_e164').notNull(),
    recipientHash: text('recipient_hash').notNull(),
    optedOut: boolean('opted_out').notNull(),
    keyword: text('keyword').$type<Keyword>().notNull(),
    changedAt: at('changed_at').notNull().defaultNow(),
    sourceMessageId: uuid('source_message_id'),
    anonymisedAt: at('anonymised_at'),
  },
  (table) => [primaryKey({ columns: [table.tenantId, table.number, table.recipientHash] })],
);

/** The columns a call record has, live (`calls`) or kept after its subject's erasure (`kept_calls`). */
const callColumns = () => ({
  tenantId: text('tenant_id').notNull(),
  id: uuid('id').notNull(),
  accountId: text('account_id'),
  carrierCallId: text('carrier_call_id').notNull(),
  direction: text('direction').$type<'outbound' | 'inbound'>().notNull(),
  from: text('from_e164').notNull(),
  to: text('to_e164').notNull(),
  forwardedTo: text('forwarded_to'),
  callerIdPresented: text('caller_id_presented'),
  externalCallerId: text('external_caller_id'),
  startedAt: at('started_at').notNull(),
  answeredAt: at('answered_at'),
  endedAt: at('ended_at').notNull(),
  durationSeconds: integer('duration_seconds').notNull(),
  disposition: text('disposition').$type<CallDisposition>().notNull(),
});

/** Call detail records (migration 0006): monthly partitions on started_at. */
export const calls = pgTable(
  'calls',
  {
    ...callColumns(),
    clientIp: inet('client_ip'),
    recordedAt: at('recorded_at').notNull().defaultNow(),
  },
  (table) => [primaryKey({ columns: [table.tenantId, table.startedAt, table.id] })],
);

/** References to the carrier's recordings and voicemail, in the partition of their call (migration 0006). */
export const callRecordings = pgTable(
  'call_recordings',
  {
    tenantId: text('tenant_id').notNull(),
    callId: uuid('call_id').notNull(),
    callStartedAt: at('call_started_at').notNull(),
    id: uuid('id').notNull(),
    carrierRecordingId: text('carrier_recording_id').notNull(),
    kind: text('kind').$type<'recording' | 'voicemail'>().notNull(),
    url: text('url').notNull(),
    durationSeconds: integer('duration_seconds').notNull(),
    channels: integer('channels').notNull(),
    consent: boolean('consent').notNull(),
    createdAt: at('created_at').notNull().defaultNow(),
  },
  (table) => [primaryKey({ columns: [table.tenantId, table.callStartedAt, table.id] })],
);

/** The fields of a call record that may hold a person's identifier (anonymised in `kept_calls`). */
export type CallIdentifierField =
  'from' | 'to' | 'forwardedTo' | 'callerIdPresented' | 'externalCallerId' | 'accountId' | 'clientIp';

/**
 * Call records kept after their subject's erasure because the tenant's law obliges keeping traffic data
 * (migration 0008): the columns of `calls`, the erased identifiers replaced by their keyed hashes.
 */
export const keptCalls = pgTable(
  'kept_calls',
  {
    ...callColumns(),
    clientIp: text('client_ip'),
    recordedAt: at('recorded_at').notNull(),
    /** Which identifier fields hold a keyed hash (API names: from, to, forwardedTo, ...). */
    anonymisedFields: text('anonymised_fields').array().$type<CallIdentifierField[]>().notNull(),
    keptBasis: text('kept_basis').notNull(),
    keptUntil: at('kept_until').notNull(),
    anonymisedAt: at('anonymised_at').notNull().defaultNow(),
  },
  (table) => [primaryKey({ columns: [table.tenantId, table.id] })],
);

/** The carrier's id of every call recorded, to drop its resends (migration 0006). */
export const carrierCalls = pgTable('carrier_calls', {
  carrierCallId: text('carrier_call_id').primaryKey(),
  tenantId: text('tenant_id').notNull(),
  callId: uuid('call_id').notNull(),
  receivedAt: at('received_at').notNull().defaultNow(),
});

export type CallDisposition = 'answered' | 'busy' | 'no_answer' | 'failed';
export type CallRow = typeof calls.$inferSelect;
export type NewCallRow = typeof calls.$inferInsert;
export type CallRecordingRow = typeof callRecordings.$inferSelect;
export type KeptCallRow = typeof keptCalls.$inferSelect;
export type NewCallRecordingRow = typeof callRecordings.$inferInsert;

/** The keywords an inbound message may be (domain/keywords.ts). */
export type Keyword =
  | 'STOP'
  | 'STOPALL'
  | 'UNSUBSCRIBE'
  | 'CANCEL'
  | 'END'
  | 'QUIT'
  | 'START'
  | 'YES'
  | 'UNSTOP'
  | 'HELP'
  | 'INFO';

/** Each tenant's messaging settings (migration 0005); a tenant without a row has the defaults. */
export const messagingSettings = pgTable('messaging_settings', {
  tenantId: text('tenant_id').primaryKey(),
  contentRetentionDays: integer('content_retention_days'),
  metadataRetentionDays: integer('metadata_retention_days'),
  senderRates: jsonb('sender_rates').$type<Partial<Record<ThroughputClass, number>>>().notNull().default({}),
  helpText: text('help_text'),
  /** Call recordings (migration 0006). */
  recordingsAllowed: boolean('recordings_allowed').notNull().default(false),
  recordingConsentRequired: boolean('recording_consent_required').notNull().default(true),
  /** The law obliging the tenant to keep traffic data, and for how many days (migration 0008). */
  trafficDataRetentionDays: integer('traffic_data_retention_days'),
  trafficDataRetentionLaw: text('traffic_data_retention_law'),
  updatedAt: at('updated_at').notNull().defaultNow(),
});

export type MessagingSettingsRow = typeof messagingSettings.$inferSelect;

/** The statuses a message ends in: nothing changes it after one (its content retention counts from it). */
export const FINAL_STATUSES = ['delivered', 'undelivered', 'failed', 'expired'] as const;

export type MessageStatus =
  'queued' | 'sending' | 'sent' | 'delivered' | 'undelivered' | 'failed' | 'expired' | 'received';
export type ReceiptState = 'delivered' | 'undelivered' | 'expired';

export type MessageRow = typeof messages.$inferSelect;
export type NewMessageRow = typeof messages.$inferInsert;
export type StatusChangeRow = typeof messageStatusHistory.$inferSelect;
export type InboundPartRow = typeof inboundParts.$inferSelect;
export type OptOutRow = typeof optOuts.$inferSelect;
export type CarrierPartRow = typeof carrierParts.$inferSelect;

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
  /** How an attempt renders and signs the payload (migration 0007). */
  format: text('format').$type<CallbackFormat>().notNull().default('standard_webhooks'),
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

/** How a callback is posted: Standard Webhooks (JSON) or as Twilio posts (form-encoded, X-Twilio-Signature). */
export type CallbackFormat = 'standard_webhooks' | 'twilio';

/** The body of a webhook, as Standard Webhooks' examples shape it. */
export interface WebhookPayload {
  type: string;
  /** When the event happened, ISO 8601. */
  timestamp: string;
  data: Record<string, unknown>;
}

export type WebhookSecretRow = typeof webhookSecrets.$inferSelect;
export type WebhookDeliveryRow = typeof webhookDeliveries.$inferSelect;
