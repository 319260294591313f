import { and, eq, lt, or, type AnyColumn, type SQL } from 'drizzle-orm';
import { invalidArgument } from './errors';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 100;

/** A keyset cursor: the sort key and id of the last item on the previous page. */
export interface Cursor {
  at: Date;
  id: string;
}

/** 0 means "default"; anything outside 1..100 is refused rather than silently clamped. */
export function pageSize(requested: number): number {
  if (requested === 0) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(requested) || requested < 1 || requested > MAX_PAGE_SIZE) {
    throw invalidArgument('PAGE_SIZE_INVALID', `page size must be between 1 and ${MAX_PAGE_SIZE}`, [
      { field: 'pageSize', description: `an integer from 1 to ${MAX_PAGE_SIZE}` },
    ]);
  }
  return requested;
}

export function encodePageToken(cursor: Cursor): string {
  return Buffer.from(JSON.stringify({ at: cursor.at.toISOString(), id: cursor.id })).toString('base64url');
}

export function decodePageToken(token: string): Cursor | undefined {
  if (token === '') return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as {
      at?: unknown;
      id?: unknown;
    };
    const at = new Date(String(parsed.at));
    if (typeof parsed.id !== 'string' || Number.isNaN(at.getTime())) throw new Error('bad cursor');
    return { at, id: parsed.id };
  } catch {
    throw invalidArgument('PAGE_TOKEN_INVALID', 'page token is not one this API issued', [
      { field: 'pageToken', description: 'pass the nextPageToken of a previous response unchanged' },
    ]);
  }
}

/**
 * Splits one extra fetched row off a page: fetch `size + 1` rows, and if the extra one exists the page
 * has a successor whose token points after the last row kept.
 */
export function toPage<Row>(
  rows: Row[],
  size: number,
  cursorOf: (row: Row) => Cursor,
): { items: Row[]; nextPageToken: string } {
  const items = rows.slice(0, size);
  const last = items[items.length - 1];
  return { items, nextPageToken: rows.length > size && last ? encodePageToken(cursorOf(last)) : '' };
}

/**
 * The keyset condition "strictly after the cursor" for a list sorted newest first by (at, id):
 * rows older than the cursor, or as old with a smaller id.
 */
export function olderThan(at: AnyColumn, id: AnyColumn, cursor: Cursor | undefined): SQL | undefined {
  if (!cursor) return undefined;
  return or(lt(at, cursor.at), and(eq(at, cursor.at), lt(id, cursor.id)));
}
