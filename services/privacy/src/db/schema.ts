import { pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

export const subjectRequests = pgTable('subject_requests', {
  id: uuid('id').primaryKey().defaultRandom(),
  tenantId: text('tenant_id').notNull(),
  type: text('type').notNull(),
  state: text('state').notNull(),
  receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
  dueAt: timestamp('due_at', { withTimezone: true }).notNull(),
});

export type SubjectRequestRow = typeof subjectRequests.$inferSelect;
