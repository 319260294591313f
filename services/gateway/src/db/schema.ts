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

export const tenantRateLimits = pgTable('tenant_rate_limits', {
  tenantId: text('tenant_id').primaryKey(),
  perPrincipal: integer('per_principal'),
  perTenant: integer('per_tenant'),
  updatedBy: text('updated_by').notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});
