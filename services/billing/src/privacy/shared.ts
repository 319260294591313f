// What billing's privacy parts share: the part shape, the financial-records obligation, and the conditions
// that find a departed tenant's records.
import { or, sql, type AnyColumn, type SQL } from 'drizzle-orm';
import {
  invalidArgument,
  type CategoryReceipt,
  type DataCategory,
  type SubjectIdentifiers,
  type Transaction,
} from '@parley/kit';
import type { RetentionPeriods } from '../domain/retention';

/** Seven years (365.25 days each): the legal retention of financial records where no country says otherwise. */
export const FINANCIAL_RETENTION_DAYS = 2557;

/**
 * The default retention the financial categories declare (the data map, the privacy service's cutoff):
 * the shortest legal period configured, in days, so that each record's own country period (checked at
 * purge, `departed`) is what decides; a tenant's longer policy keeps records longer, a shorter one cannot
 * go below the law.
 */
export function shortestRetentionDays(periods: RetentionPeriods): number {
  return Math.floor(Math.min(periods.defaultYears, ...Object.values(periods.byCountry)) * 365.25);
}

/** How the financial categories' retention reads in the data map. */
export function financialRetention(periods: RetentionPeriods): string {
  const table = Object.entries(periods.byCountry)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([country, years]) => `${country} ${years}`)
    .join(', ');
  return `the legal period of the billing country after the customer leaves, from the end of that year (${table}; other countries ${periods.defaultYears} years)`;
}

export const FINANCIAL_OBLIGATION =
  "tax and accounting law of the tenant's billing country (default: 7 years after the customer leaves) obliges keeping invoices and the usage they bill; erasure anonymises them and keeps amounts, dates, invoice numbers and tax";

/** What erasure replaces a name or a phone number with on records the law obliges billing to keep. */
export const ERASED = '[erased]';

/**
 * One category of billing's data, as a participant part: billing composes its participant from these, so
 * a later category (the payments step's payment-method metadata) joins by adding a part (see
 * `billingParticipant(extraParts)`), with its own export stage and receipt line.
 */
export interface BillingPrivacyPart {
  category: DataCategory;
  /** One page of the subject's records after `cursor` (opaque to the others); `next` while there are more. */
  export(
    tx: Transaction,
    subject: SubjectIdentifiers,
    limit: number,
    cursor: string,
  ): Promise<{ records: Record<string, unknown>[]; next?: string }>;
  /** How many of the subject's records it holds (restriction, legal hold). */
  count(tx: Transaction, subject: SubjectIdentifiers): Promise<number>;
  /** Deletes or anonymises; `pseudonym` replaces the subject's account id wherever a record is kept. */
  erase(tx: Transaction, subject: SubjectIdentifiers, pseudonym: string): Promise<CategoryReceipt>;
  rectify?(tx: Transaction, subject: SubjectIdentifiers, changes: Corrections): Promise<number>;
  /**
   * Deletes what retention allows: records of a customer that left before `before` (the category's
   * retention, or the tenant's policy) whose legal period (`clock`) has run out.
   */
  purge(tx: Transaction, before: Date, clock: RetentionClock): Promise<number>;
}

/** The legal periods by billing country, and the time to measure them against. */
export interface RetentionClock {
  periods: RetentionPeriods;
  now: () => Date;
}

export interface Corrections {
  fullName?: string;
  email?: string;
}

export const none = sql`false`;
export const any = (clauses: SQL[]) => (clauses.length > 0 ? or(...clauses)! : none);

/** The tenant left (its own billing profile closed) before `before`, whatever its country (not financial records). */
export const tenantLeftBefore = (before: Date) =>
  sql`exists (select 1 from billing_profiles p where p.tenant_id = current_setting('app.tenant_id', true)
      and p.account_id = '' and p.closed_at is not null and p.closed_at < ${before})`;

/**
 * The customer a record belongs to left, and may be forgotten: the tenant itself, or the record's account
 * (`account`, when the record has one), closed before `before` (`billing_profiles.closed_at`) and the
 * legal period of its billing country (the account's, else the tenant's) has run out at `clock.now()`,
 * counted from the end of the year it left in (see domain/retention.ts).
 */
export function departed(before: Date, clock: RetentionClock, account?: SQL | AnyColumn) {
  const { periods } = clock;
  const years = sql.join(
    [
      sql`case upper(coalesce(p.country, t.country))`,
      ...Object.entries(periods.byCountry).map(([country, n]) => sql`when ${country} then ${n}::int`),
      sql`else ${periods.defaultYears}::int end`,
    ],
    sql` `,
  );
  return sql`exists (select 1 from billing_profiles p
      left join billing_profiles t on t.tenant_id = p.tenant_id and t.account_id = ''
      where p.tenant_id = current_setting('app.tenant_id', true)
        and ${account ? sql`p.account_id in ('', ${account})` : sql`p.account_id = ''`}
        and p.closed_at is not null and p.closed_at < ${before}
        and make_timestamptz(extract(year from p.closed_at at time zone 'UTC')::int + 1 + ${years}, 1, 1, 0, 0, 0, 'UTC')
          <= ${clock.now()})`;
}

export const countOf = async (query: Promise<{ n: number }[]>) => Number((await query)[0]?.n ?? 0);
export const counted = sql<number>`count(*)::int`;

/** Checks rectified fields (API names) and names the one that is wrong. */
export function corrections(changes: Record<string, unknown>): Corrections {
  const out: Corrections = {};
  const { fullName, email } = changes;
  if (fullName !== undefined) {
    if (typeof fullName !== 'string' || fullName.trim() === '' || fullName.length > 200) {
      throw invalidArgument('CHANGES_INVALID', 'fullName must be 1-200 characters', [
        { field: 'fullName', description: '1-200 characters' },
      ]);
    }
    out.fullName = fullName.trim();
  }
  if (email !== undefined) {
    if (typeof email !== 'string' || email.length > 320 || !/^[^\s@]+@[^\s@]+$/.test(email)) {
      throw invalidArgument('CHANGES_INVALID', 'email must be an email address', [
        { field: 'email', description: 'an email address' },
      ]);
    }
    out.email = email;
  }
  return out;
}
