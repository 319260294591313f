import { bigserial, doublePrecision, integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

export const accessLog = pgTable('access_log', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  tenantId: text('tenant_id').notNull(),
  principal: text('principal').notNull(),
  method: text('method').notNull(),
  route: text('route').notNull(),
  status: integer('status').notNull(),
  durationMs: doublePrecision('duration_ms').notNull(),
  ip: text('ip').notNull(),
  userAgent: text('user_agent').notNull(),
  occurredAt: timestamp('occurred_at', { withTimezone: true }).notNull().defaultNow(),
});
