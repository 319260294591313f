import type { RpcContext, Transaction } from '@parley/kit';
import type { numberingV1 } from '@parley/proto';
import { QUEUES, SUPPLIER_RETRIES, type NumberingDeps } from '../deps';
import { numberNotActive, numberNotFound } from '../domain/errors';
import { quarantineOf } from '../domain/numbers';
import { publishReleased } from '../events/published';
import type { NumberRow } from '../db/schema';
import { numberMessage } from './mappers';

/**
 * Puts an active number into quarantine (the tenant's quarantine days) and, in the same transaction, the
 * job that gives it back to the supplier and the job that ends the quarantine; publishes
 * numbering.number.released. Used by ReleaseNumber and by erasure under the `release` policy.
 */
export async function releaseInTransaction(
  deps: Pick<NumberingDeps, 'numbers' | 'outbox' | 'jobs' | 'settings'>,
  tx: Transaction,
  current: NumberRow,
): Promise<NumberRow> {
  const { quarantineDays } = await deps.settings.get(tx);
  const releasedAt = new Date();
  const { quarantineUntil, reclaimUntil } = quarantineOf(releasedAt, quarantineDays);
  const row = await deps.numbers.update(tx, current.id, {
    status: 'quarantined',
    releasedAt,
    quarantineUntil,
    reclaimUntil,
  });
  await deps.numbers.setHolder(tx, row.e164, { state: 'quarantined', quarantineUntil, reclaimUntil });
  await deps.jobs.send(
    QUEUES.releaseNumber,
    { numberId: row.id },
    { tx, tenantId: row.tenantId, ...SUPPLIER_RETRIES },
  );
  await deps.jobs.send(
    QUEUES.endQuarantine,
    { numberId: row.id },
    { tx, tenantId: row.tenantId, startAfter: quarantineUntil, retryLimit: 50, retryBackoff: true },
  );
  await publishReleased(deps.outbox, tx, row);
  return row;
}

export function makeReleaseNumber(
  deps: Pick<NumberingDeps, 'withTenant' | 'numbers' | 'outbox' | 'jobs' | 'settings' | 'cache'>,
) {
  return async ({
    request,
    caller,
  }: RpcContext<numberingV1.ReleaseNumberRequest>): Promise<numberingV1.ReleaseNumberResponse> => {
    const row = await deps.withTenant(caller.tenantId, async (tx) => {
      const current = await deps.numbers.find(tx, request.numberId, true);
      if (!current || current.status === 'released') throw numberNotFound();
      if (current.status === 'quarantined') return current; // released already: the same answer
      if (current.status !== 'active') throw numberNotActive();
      return releaseInTransaction(deps, tx, current);
    });
    deps.cache.invalidate(row.e164);
    return { number: numberMessage(row) };
  };
}
