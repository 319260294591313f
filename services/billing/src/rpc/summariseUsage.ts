import {
  invalidArgument,
  withTenant,
  type Database,
  type FieldViolation,
  type RpcContext,
} from '@parley/kit';
import type { billingV1 } from '@parley/proto';
import { sql } from 'drizzle-orm';
import { periodBounds, periodOf } from '../domain/periods';
import { USAGE_CATEGORIES, type UsageCategory } from '../domain/rating';

/** At most this span is summed at once (a year and a day). */
const MAX_SPAN_MS = 367 * 86_400_000;

/**
 * SummariseUsage: the tenant's rated usage summed by UTC day and category, within a time range: what the
 * platform charged it (its sub-accounts' usage included), or with `seller` "tenant" what it charged the
 * accounts it resells.
 */
export function makeSummariseUsage(deps: { db: Database; now: () => Date }) {
  return async ({
    request,
    caller,
  }: RpcContext<billingV1.SummariseUsageRequest>): Promise<billingV1.SummariseUsageResponse> => {
    const now = deps.now();
    const from = request.from ?? periodBounds(periodOf(now)).start;
    const to = request.to ?? now;
    const violations: FieldViolation[] = [];
    if (to.getTime() <= from.getTime()) violations.push({ field: 'to', description: 'after from' });
    if (to.getTime() - from.getTime() > MAX_SPAN_MS)
      violations.push({ field: 'from', description: 'at most 367 days before to' });
    if (request.category && !USAGE_CATEGORIES.includes(request.category as UsageCategory))
      violations.push({ field: 'category', description: USAGE_CATEGORIES.join(', ') });
    const seller = request.seller || 'platform';
    if (seller !== 'platform' && seller !== 'tenant')
      violations.push({ field: 'seller', description: 'platform or tenant' });
    if (violations.length > 0)
      throw invalidArgument('USAGE_QUERY_INVALID', 'the usage query is invalid', violations);
    const rows = await withTenant(deps.db, caller.tenantId, async (tx) => {
      const result = await tx.execute<{
        day: string;
        category: string;
        currency: string;
        lines: string;
        quantity: string;
        amount: string;
      }>(sql`
        select to_char(occurred_at at time zone 'UTC', 'YYYY-MM-DD') as day, category, currency,
               count(*)::text as lines, trim(trailing '.' from trim(trailing '0' from sum(quantity)::text)) as quantity,
               sum(amount_minor)::text as amount
          from usage_records
         where seller = ${seller} and occurred_at >= ${from} and occurred_at < ${to}
           ${request.category ? sql`and category = ${request.category}` : sql``}
           ${request.accountId ? sql`and account_id = ${request.accountId}` : sql``}
         group by 1, 2, 3
         order by 1, 2, 3`);
      return result.rows;
    });
    return {
      totals: rows.map((row) => ({
        day: row.day,
        category: row.category,
        lines: row.lines,
        quantity: row.quantity,
        amount: { currency: row.currency.trim(), minorUnits: row.amount },
      })),
    };
  };
}
