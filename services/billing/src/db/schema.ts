import { bigint, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

export const billingAccounts = pgTable('billing_accounts', {
  tenantId: text('tenant_id').primaryKey(),
  currency: text('currency').notNull(),
  balanceMinor: bigint('balance_minor', { mode: 'bigint' }).notNull(),
  openedAt: timestamp('opened_at', { withTimezone: true }).notNull().defaultNow(),
});

export type BillingAccountRow = typeof billingAccounts.$inferSelect;
