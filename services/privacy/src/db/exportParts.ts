import { and, asc, eq, gt } from 'drizzle-orm';
import type { Transaction } from '@parley/kit';
import { exportRecords } from './schema';
import type { Sealer } from '../domain/sealing';

/** Rows (pages) read at a time when the archive reads a category back: at most this many MiB in memory. */
const ROWS_PER_READ = 4;

/**
 * The parts of an export gathered from participants until the archive is made: each page of one
 * participant's category is one row, its records sealed together (as a JSON array) under the request.
 */
export class ExportParts {
  constructor(private readonly sealer: Sealer) {}

  /** Stores one page of a participant's records of one category, with one insert. */
  async append(
    tx: Transaction,
    part: { tenantId: string; requestId: string; participant: string; category: string },
    recordsJson: string[],
  ): Promise<void> {
    if (recordsJson.length === 0) return;
    await tx.insert(exportRecords).values({
      ...part,
      records: recordsJson.length,
      sealed: this.sealer.seal(
        Buffer.from(`[${recordsJson.join(',')}]`),
        `${part.tenantId}:${part.requestId}`,
      ),
    });
  }

  /** The categories a participant exported records of. */
  async categories(tx: Transaction, requestId: string, participant: string): Promise<string[]> {
    const rows = await tx
      .selectDistinct({ category: exportRecords.category })
      .from(exportRecords)
      .where(and(eq(exportRecords.requestId, requestId), eq(exportRecords.participant, participant)));
    return rows.map((row) => row.category);
  }

  /** One category's records in the order they came, a stored page at a time. */
  async *pages(
    tx: Transaction,
    part: { tenantId: string; requestId: string; participant: string; category: string },
  ): AsyncIterable<Record<string, unknown>[]> {
    let after = 0;
    for (;;) {
      const rows = await tx
        .select({ seq: exportRecords.seq, sealed: exportRecords.sealed })
        .from(exportRecords)
        .where(
          and(
            eq(exportRecords.requestId, part.requestId),
            eq(exportRecords.participant, part.participant),
            eq(exportRecords.category, part.category),
            gt(exportRecords.seq, after),
          ),
        )
        .orderBy(asc(exportRecords.seq))
        .limit(ROWS_PER_READ);
      for (const row of rows) {
        const opened: unknown = JSON.parse(
          this.sealer.open(row.sealed, `${part.tenantId}:${part.requestId}`).toString(),
        );
        // A row from before pages were stored together holds one record.
        yield (Array.isArray(opened) ? opened : [opened]) as Record<string, unknown>[];
        after = row.seq;
      }
      if (rows.length < ROWS_PER_READ) return;
    }
  }

  async discard(tx: Transaction, requestId: string): Promise<void> {
    await tx.delete(exportRecords).where(eq(exportRecords.requestId, requestId));
  }
}
