import { and, eq, lt, sql } from 'drizzle-orm';
import { resourceExhausted, type Transaction } from '@parley/kit';
import { intakeCounters } from './db/schema';

export type IntakeCounter = 'requests' | 'codes' | 'attempts';

/** Daily caps on what a request costs when filed without privacy:write. */
export interface IntakeCaps {
  /** Requests one requester files per UTC day. */
  requestsPerRequester: number;
  /** Verification codes issued per subject per UTC day (one per third-party request, held or not). */
  codesPerSubject: number;
  /** Code guesses per subject and per requester per UTC day, across every request and resubmission. */
  attemptsPerDay: number;
}

/**
 * Counts against daily caps in the caller's transaction: each key's counter for today is incremented by an
 * upsert (atomic under concurrency, whichever replica serves), and a count past the cap refuses with a
 * stable code. The refusal rolls the transaction back, so a refused request costs nothing and writes
 * nothing; what was allowed stays counted once the transaction commits.
 */
export class IntakeLimits {
  constructor(private readonly now: () => Date) {}

  async take(
    tx: Transaction,
    tenantId: string,
    counter: IntakeCounter,
    keys: string[],
    cap: number,
    refusal: { reason: string; message: string },
  ): Promise<void> {
    const day = this.now().toISOString().slice(0, 10);
    // Yesterday's rows are kept (a day that just turned still answers), older ones go.
    const yesterday = new Date(Date.parse(`${day}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
    await tx
      .delete(intakeCounters)
      .where(and(eq(intakeCounters.tenantId, tenantId), lt(intakeCounters.day, yesterday)));
    // Sorted, so two transactions counting the same keys lock them in the same order (no deadlock).
    for (const key of [...new Set(keys)].sort()) {
      const [row] = await tx
        .insert(intakeCounters)
        .values({ tenantId, counter, key, day, count: 1 })
        .onConflictDoUpdate({
          target: [intakeCounters.tenantId, intakeCounters.counter, intakeCounters.key, intakeCounters.day],
          set: { count: sql`${intakeCounters.count} + 1` },
        })
        .returning({ count: intakeCounters.count });
      if (row!.count > cap) throw resourceExhausted(refusal.reason, refusal.message);
    }
  }
}
