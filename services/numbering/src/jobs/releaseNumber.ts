import type { JobContext } from '@parley/kit';
import type { NumberingDeps } from '../deps';

/** Gives a released number back to the supplier; retried while the supplier is down (release is idempotent). */
export function makeReleaseNumberJob(deps: Pick<NumberingDeps, 'withTenant' | 'numbers' | 'supplier'>) {
  return async (job: JobContext<{ numberId: string }>): Promise<void> => {
    const row = await deps.withTenant(job.tenantId!, (tx) => deps.numbers.find(tx, job.data.numberId));
    // Taken back (reclaimed) before the job ran: the supplier keeps serving it to us.
    if (!row || row.status === 'active') return;
    await deps.supplier.release(row.e164);
  };
}

/** Once the quarantine has ended the number is history for this tenant and anyone may buy it. */
export function makeEndQuarantine(deps: Pick<NumberingDeps, 'withTenant' | 'numbers' | 'cache'>) {
  return async (job: JobContext<{ numberId: string }>): Promise<void> => {
    await deps.withTenant(job.tenantId!, async (tx) => {
      const row = await deps.numbers.find(tx, job.data.numberId, true);
      if (!row || row.status !== 'quarantined' || !row.quarantineUntil || row.quarantineUntil > new Date())
        return;
      await deps.numbers.update(tx, row.id, { status: 'released' });
    });
  };
}
