import { char, integer, jsonb, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { currencyColumn, minorUnitsColumn, unitPriceColumn } from '@parley/kit';

/** Whom an invoice is addressed to: the tenant (account '') or one of its sub-accounts. */
export const billingProfiles = pgTable(
  'billing_profiles',
  {
    tenantId: text('tenant_id').notNull(),
    accountId: text('account_id').notNull().default(''),
    name: text('name').notNull().default(''),
    address: text('address').notNull().default(''),
    email: text('email').notNull().default(''),
    country: char('country', { length: 2 }),
    taxId: text('tax_id').notNull().default(''),
    invoicePrefix: text('invoice_prefix').notNull().default('INV'),
    closedAt: timestamp('closed_at', { withTimezone: true }),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [primaryKey({ columns: [table.tenantId, table.accountId] })],
);

export type BillingProfileRow = typeof billingProfiles.$inferSelect;

export const invoiceCounters = pgTable(
  'invoice_counters',
  {
    tenantId: text('tenant_id').notNull(),
    period: char('period', { length: 7 }).notNull(),
    lastNumber: integer('last_number').notNull().default(0),
  },
  (table) => [primaryKey({ columns: [table.tenantId, table.period] })],
);

/** A party as printed on an invoice. */
export interface InvoiceParty {
  name: string;
  address: string;
  country: string;
  taxId: string;
}

export const invoices = pgTable('invoices', {
  id: uuid('id').primaryKey(),
  tenantId: text('tenant_id').notNull(),
  accountId: text('account_id').notNull(),
  kind: text('kind').$type<'invoice' | 'credit_note'>().notNull(),
  period: char('period', { length: 7 }).notNull(),
  number: text('number').notNull(),
  state: text('state').$type<'issued' | 'paid' | 'void'>().notNull(),
  creditsInvoiceId: uuid('credits_invoice_id'),
  creditNoteCount: integer('credit_note_count').notNull().default(0),
  currency: currencyColumn('currency').notNull(),
  subtotals: jsonb('subtotals').$type<Record<string, string>>().notNull(),
  subtotalMinor: minorUnitsColumn('subtotal_minor').notNull(),
  taxCountry: char('tax_country', { length: 2 }),
  taxPercent: unitPriceColumn('tax_percent').notNull(),
  taxMinor: minorUnitsColumn('tax_minor').notNull(),
  totalMinor: minorUnitsColumn('total_minor').notNull(),
  paidMinor: minorUnitsColumn('paid_minor').notNull().default(0n),
  lineCount: integer('line_count').notNull().default(0),
  seller: jsonb('seller').$type<InvoiceParty>().notNull(),
  buyer: jsonb('buyer').$type<InvoiceParty>().notNull(),
  reason: text('reason').notNull().default(''),
  issuedAt: timestamp('issued_at', { withTimezone: true }).notNull().defaultNow(),
  dueAt: timestamp('due_at', { withTimezone: true }).notNull(),
  paidAt: timestamp('paid_at', { withTimezone: true }),
  voidedAt: timestamp('voided_at', { withTimezone: true }),
  anonymisedAt: timestamp('anonymised_at', { withTimezone: true }),
});

export type InvoiceRow = typeof invoices.$inferSelect;

export const invoiceLines = pgTable(
  'invoice_lines',
  {
    invoiceId: uuid('invoice_id').notNull(),
    lineNo: integer('line_no').notNull(),
    tenantId: text('tenant_id').notNull(),
    category: text('category').notNull(),
    usageId: uuid('usage_id'),
    reference: text('reference').notNull(),
    occurredAt: timestamp('occurred_at', { withTimezone: true }).notNull(),
    partyFrom: text('party_from'),
    partyTo: text('party_to'),
    country: text('country').notNull(),
    quantity: unitPriceColumn('quantity').notNull(),
    unit: text('unit').notNull(),
    unitPrice: unitPriceColumn('unit_price').notNull(),
    amountMinor: minorUnitsColumn('amount_minor').notNull(),
  },
  (table) => [primaryKey({ columns: [table.invoiceId, table.lineNo] })],
);

export type InvoiceLineRow = typeof invoiceLines.$inferSelect;
