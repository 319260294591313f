import {
  boolean,
  char,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uuid,
} from 'drizzle-orm/pg-core';
import { currencyColumn, minorUnitsColumn, unitPriceColumn } from '@parley/kit';

export const billingAccounts = pgTable('billing_accounts', {
  tenantId: text('tenant_id').primaryKey(),
  currency: text('currency').notNull(),
  balanceMinor: minorUnitsColumn('balance_minor').notNull(),
  openedAt: timestamp('opened_at', { withTimezone: true }).notNull().defaultNow(),
  planId: text('plan_id'),
  billingMode: text('billing_mode').$type<'prepaid' | 'postpaid'>().notNull().default('prepaid'),
  creditLimitMinor: minorUnitsColumn('credit_limit_minor').notNull().default(0n),
  lowBalanceThresholdMinor: minorUnitsColumn('low_balance_threshold_minor'),
  lowBalanceAlerted: boolean('low_balance_alerted').notNull().default(false),
});

export type BillingAccountRow = typeof billingAccounts.$inferSelect;

export const billingPlans = pgTable('billing_plans', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  currency: currencyColumn('currency').notNull(),
  isDefault: boolean('is_default').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

export type PlanRow = typeof billingPlans.$inferSelect;

export const billingPlanVersions = pgTable(
  'billing_plan_versions',
  {
    planId: text('plan_id').notNull(),
    version: integer('version').notNull(),
    effectiveFrom: timestamp('effective_from', { withTimezone: true }).notNull(),
    prices: jsonb('prices').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [primaryKey({ columns: [table.planId, table.version] })],
);

export type PlanVersionRow = typeof billingPlanVersions.$inferSelect;

export const billingPeriods = pgTable(
  'billing_periods',
  {
    tenantId: text('tenant_id').notNull(),
    period: char('period', { length: 7 }).notNull(),
    state: text('state').$type<'open' | 'closed'>().notNull(),
    closedAt: timestamp('closed_at', { withTimezone: true }),
  },
  (table) => [primaryKey({ columns: [table.tenantId, table.period] })],
);

/** 'platform': what the tenant owes Parley (its plan); 'tenant': what a resold sub-account owes the tenant. */
export type UsageSeller = 'platform' | 'tenant';

export const usageRecords = pgTable('usage_records', {
  id: uuid('id').primaryKey(),
  tenantId: text('tenant_id').notNull(),
  accountId: text('account_id').notNull(),
  category: text('category').notNull(),
  reference: text('reference').notNull(),
  country: text('country').notNull(),
  occurredAt: timestamp('occurred_at', { withTimezone: true }).notNull(),
  billingPeriod: char('billing_period', { length: 7 }).notNull(),
  quantity: unitPriceColumn('quantity').notNull(),
  unit: text('unit').notNull(),
  unitPrice: unitPriceColumn('unit_price').notNull(),
  currency: currencyColumn('currency').notNull(),
  amountMinor: minorUnitsColumn('amount_minor').notNull(),
  planId: text('plan_id').notNull(),
  planVersion: integer('plan_version').notNull(),
  sourceType: text('source_type').notNull(),
  sourceId: text('source_id').notNull(),
  /** Who sells the line: the platform to the tenant, or the tenant to a resold sub-account. */
  seller: text('seller').$type<UsageSeller>().notNull().default('platform'),
  ratedAt: timestamp('rated_at', { withTimezone: true }).notNull().defaultNow(),
  /** The parties of a message or call, printed on the itemised invoice (personal data). */
  partyFrom: text('party_from'),
  partyTo: text('party_to'),
});

export type UsageRecordRow = typeof usageRecords.$inferSelect;

export const billingNumbers = pgTable(
  'billing_numbers',
  {
    tenantId: text('tenant_id').notNull(),
    numberId: text('number_id').notNull(),
    accountId: text('account_id').notNull(),
    numberType: text('number_type').notNull(),
    country: text('country').notNull(),
    assignedAt: timestamp('assigned_at', { withTimezone: true }).notNull(),
    releasedAt: timestamp('released_at', { withTimezone: true }),
  },
  (table) => [primaryKey({ columns: [table.tenantId, table.numberId] })],
);

export type BillingNumberRow = typeof billingNumbers.$inferSelect;

export const walletCredits = pgTable(
  'wallet_credits',
  {
    tenantId: text('tenant_id').notNull(),
    reference: text('reference').notNull(),
    amountMinor: minorUnitsColumn('amount_minor').notNull(),
    currency: currencyColumn('currency').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [primaryKey({ columns: [table.tenantId, table.reference] })],
);

/** A tenant's own price lists for its accounts (sub-accounts): the same prices and versions as a plan. */
export const accountPlans = pgTable(
  'account_plans',
  {
    tenantId: text('tenant_id').notNull(),
    id: text('id').notNull(),
    name: text('name').notNull(),
    currency: currencyColumn('currency').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [primaryKey({ columns: [table.tenantId, table.id] })],
);

export const accountPlanVersions = pgTable(
  'account_plan_versions',
  {
    tenantId: text('tenant_id').notNull(),
    planId: text('plan_id').notNull(),
    version: integer('version').notNull(),
    effectiveFrom: timestamp('effective_from', { withTimezone: true }).notNull(),
    prices: jsonb('prices').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [primaryKey({ columns: [table.tenantId, table.planId, table.version] })],
);

/** The account plan a sub-account is on; no row: it is not resold. */
export const accountPlanAssignments = pgTable(
  'account_plan_assignments',
  {
    tenantId: text('tenant_id').notNull(),
    accountId: text('account_id').notNull(),
    planId: text('plan_id').notNull(),
    assignedAt: timestamp('assigned_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [primaryKey({ columns: [table.tenantId, table.accountId] })],
);
