import { pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

export const numbers = pgTable('numbers', {
  id: uuid('id').primaryKey().defaultRandom(),
  tenantId: text('tenant_id').notNull(),
  e164: text('e164').notNull(),
  country: text('country').notNull(),
  assignedAt: timestamp('assigned_at', { withTimezone: true }).notNull().defaultNow(),
});

export type NumberRow = typeof numbers.$inferSelect;
