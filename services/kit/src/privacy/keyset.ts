import { and, asc, gt, type SQL } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import type { Transaction } from '../db/database';

/**
 * One export page of a table's rows that match `where`, in the order of a unique text (or uuid) column
 * `key`, after the key `after` ('' for the first page): the shape most privacy export stages share. It
 * reads `limit + 1` rows, so `next` (the last key on the page) is set only when more rows follow; a caller
 * with several stages turns an absent `next` into its next stage's cursor.
 */
export async function keysetExport<T extends PgTable, R>(
  tx: Transaction,
  options: {
    from: T;
    key: PgColumn;
    where: SQL | undefined;
    after: string;
    limit: number;
    keyOf: (row: T['$inferSelect']) => string;
    record: (row: T['$inferSelect']) => R;
  },
): Promise<{ records: R[]; next?: string }> {
  const { key, limit } = options;
  const rows = (await tx
    .select()
    .from(options.from as PgTable)
    .where(and(options.where, options.after ? gt(key, options.after) : undefined))
    .orderBy(asc(key))
    .limit(limit + 1)) as T['$inferSelect'][];
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    records: page.map(options.record),
    ...(rows.length > limit && last !== undefined ? { next: options.keyOf(last) } : {}),
  };
}
