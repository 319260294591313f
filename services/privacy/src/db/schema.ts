import {
  bigint,
  bigserial,
  boolean,
  customType,
  jsonb,
  pgTable,
  text,
  timestamp,
  uuid,
  integer,
  date,
  primaryKey,
} from 'drizzle-orm/pg-core';

const bytea = customType<{ data: Buffer }>({ dataType: () => 'bytea' });
const ts = (name: string) => timestamp(name, { withTimezone: true });

export interface Identifiers {
  accountIds: string[];
  emails: string[];
  phones: string[];
  userIds: string[];
}

export const subjectRequests = pgTable('subject_requests', {
  id: uuid('id').primaryKey().defaultRandom(),
  tenantId: text('tenant_id').notNull(),
  type: text('type').notNull(),
  state: text('state').notNull(),
  receivedAt: ts('received_at').notNull().defaultNow(),
  dueAt: ts('due_at').notNull(),
  jurisdiction: text('jurisdiction').notNull(),
  subject: jsonb('subject').$type<Record<string, string>>().notNull(),
  identifiers: jsonb('identifiers').$type<Identifiers>().notNull(),
  changes: jsonb('changes').$type<Record<string, unknown>>(),
  baseDueAt: ts('base_due_at'),
  extended: boolean('extended').notNull(),
  extensionReason: text('extension_reason'),
  pausedAt: ts('paused_at'),
  pausedMs: bigint('paused_ms', { mode: 'number' }).notNull(),
  verifiedBy: text('verified_by'),
  requester: text('requester').notNull(),
  reason: text('reason'),
  completedAt: ts('completed_at'),
  overdueAnnounced: boolean('overdue_announced').notNull(),
});

export const requestTasks = pgTable('request_tasks', {
  tenantId: text('tenant_id').notNull(),
  requestId: uuid('request_id').notNull(),
  participant: text('participant').notNull(),
  action: integer('action').notNull(),
  category: text('category').notNull().default(''),
  state: text('state').notNull(),
  requestedAt: ts('requested_at').notNull().defaultNow(),

  completedAt: ts('completed_at'),
  receipt: jsonb('receipt').$type<Record<string, unknown>[]>(),
  /** A failed task: the participant's stable error code and its reason (no personal data). */
  failureCode: text('failure_code'),
  failureReason: text('failure_reason'),
});

export const verificationCodes = pgTable('verification_codes', {
  tenantId: text('tenant_id').notNull(),
  requestId: uuid('request_id').primaryKey(),
  codeHash: text('code_hash').notNull(),
  sentTo: text('sent_to').notNull(),
  expiresAt: ts('expires_at').notNull(),
  attempts: integer('attempts').notNull(),
  sentAt: ts('sent_at').notNull().defaultNow(),
});

export const exportRecords = pgTable('export_records', {
  tenantId: text('tenant_id').notNull(),
  requestId: uuid('request_id').notNull(),
  seq: bigserial('seq', { mode: 'number' }),
  participant: text('participant').notNull(),
  category: text('category').notNull(),
  /** A page of the category's records, sealed together as one JSON array (a single record before 0007). */
  sealed: bytea('sealed').notNull(),
  records: integer('records').notNull().default(1),
});

export const archives = pgTable('archives', {
  tenantId: text('tenant_id').notNull(),
  requestId: uuid('request_id').primaryKey(),
  /** The whole archive sealed at once (archives made before 0007); null for one stored in archive_chunks. */
  sealed: bytea('sealed'),
  manifest: jsonb('manifest').notNull(),
  requester: text('requester').notNull(),
  createdAt: ts('created_at').notNull().defaultNow(),
  /** How many archive_chunks rows hold it, and its size in bytes once opened. */
  chunks: integer('chunks').notNull().default(0),
  bytes: bigint('bytes', { mode: 'number' }).notNull().default(0),
});

/** A streamed archive's bytes, in order; each sealed with its request and position as associated data. */
export const archiveChunks = pgTable(
  'archive_chunks',
  {
    tenantId: text('tenant_id').notNull(),
    requestId: uuid('request_id').notNull(),
    seq: integer('seq').notNull(),
    sealed: bytea('sealed').notNull(),
  },
  (table) => [primaryKey({ columns: [table.requestId, table.seq] })],
);

export const archiveLinks = pgTable('archive_links', {
  tokenHash: text('token_hash').primaryKey(),
  tenantId: text('tenant_id').notNull(),
  requestId: uuid('request_id').notNull(),
  expiresAt: ts('expires_at').notNull(),
});

export const consents = pgTable('consents', {
  id: uuid('id').primaryKey(),
  tenantId: text('tenant_id').notNull(),
  subject: jsonb('subject').$type<Record<string, string>>().notNull(),
  subjectHashes: text('subject_hashes').array().notNull(),
  purpose: text('purpose').notNull(),
  granted: boolean('granted').notNull(),
  method: text('method').notNull(),
  textVersion: text('text_version').notNull(),
  recordedBy: text('recorded_by').notNull(),
  recordedAt: ts('recorded_at').notNull().defaultNow(),
});

export const legalHolds = pgTable('legal_holds', {
  id: uuid('id').primaryKey(),
  tenantId: text('tenant_id').notNull(),
  subject: jsonb('subject').$type<Record<string, string>>().notNull(),
  subjectHashes: text('subject_hashes').array().notNull(),
  reason: text('reason').notNull(),
  placedBy: text('placed_by').notNull(),
  placedAt: ts('placed_at').notNull().defaultNow(),
  removedAt: ts('removed_at'),
});

export const retentionPolicies = pgTable('retention_policies', {
  tenantId: text('tenant_id').notNull(),
  participant: text('participant').notNull(),
  category: text('category').notNull(),
  days: integer('days').notNull(),
});

export const retentionRuns = pgTable('retention_runs', {
  id: uuid('id').primaryKey(),
  tenantId: text('tenant_id').notNull(),
  startedAt: ts('started_at').notNull().defaultNow(),
  state: text('state').notNull(),
  /** The scheduled cycle that started it; null for a run asked for through the API. */
  cycle: ts('cycle'),
});

/** A participant a scheduled retention cycle is waiting for, and why (a gRPC status name). */
export interface WaitingFor {
  participant: string;
  reason: string;
}

export const retentionCycles = pgTable('retention_cycles', {
  period: ts('period').primaryKey(),
  state: text('state').$type<'running' | 'retrying' | 'completed' | 'failed'>().notNull(),
  attempts: integer('attempts').notNull(),
  waitingFor: jsonb('waiting_for').$type<WaitingFor[]>().notNull(),
  startedAt: ts('started_at').notNull().defaultNow(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
  completedAt: ts('completed_at'),
});

export const auditLog = pgTable('audit_log', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  tenantId: text('tenant_id').notNull(),
  at: ts('at').notNull(),
  actor: text('actor').notNull(),
  action: text('action').notNull(),
  requestId: text('request_id'),
  details: jsonb('details').$type<Record<string, unknown>>().notNull(),
  prevHash: text('prev_hash').notNull(),
  hash: text('hash').notNull(),
});

export const breaches = pgTable('breaches', {
  id: uuid('id').primaryKey(),
  tenantId: text('tenant_id').notNull(),
  description: text('description').notNull(),
  discoveredAt: ts('discovered_at').notNull(),
  categories: text('categories').array().notNull(),
  subjectsAffected: bigint('subjects_affected', { mode: 'number' }).notNull(),
  notifyBy: ts('notify_by').notNull(),
  notifiedAt: ts('notified_at'),
});

export const mailbox = pgTable('mailbox', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  tenantId: text('tenant_id').notNull(),
  toAddress: text('to_address').notNull(),
  subject: text('subject').notNull(),
  body: text('body').notNull(),
  sentAt: ts('sent_at').notNull().defaultNow(),
});

/** Daily caps on requests, codes and guesses without privacy:write (migration 0005). */
export const intakeCounters = pgTable(
  'intake_counters',
  {
    tenantId: text('tenant_id').notNull(),
    counter: text('counter').notNull(),
    key: text('key').notNull(),
    day: date('day').notNull(),
    count: integer('count').notNull(),
  },
  (table) => [primaryKey({ columns: [table.tenantId, table.counter, table.key, table.day] })],
);

export type SubjectRequestRow = typeof subjectRequests.$inferSelect;
export type RequestTaskRow = typeof requestTasks.$inferSelect;
