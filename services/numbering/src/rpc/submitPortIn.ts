import { type RpcContext } from '@parley/kit';
import type { numberingV1 } from '@parley/proto';
import { QUEUES, SUPPLIER_RETRIES, type NumberingDeps } from '../deps';
import { portInNotFound, portInNotSubmittable } from '../domain/errors';
import { portInMessage } from './mappers';

/**
 * Submits a draft: the job that submits it and follows it is sent. Submitting one already on its way
 * returns it unchanged; one that ended (cancelled, exception, ported) cannot be submitted again.
 */
export function makeSubmitPortIn(deps: Pick<NumberingDeps, 'withTenant' | 'portIns' | 'jobs'>) {
  return async ({
    request,
    caller,
  }: RpcContext<numberingV1.SubmitPortInRequest>): Promise<numberingV1.SubmitPortInResponse> => {
    const tenantId = caller.tenantId;
    const row = await deps.withTenant(tenantId, async (tx) => {
      const current = await deps.portIns.find(tx, request.portInId, true);
      if (!current) throw portInNotFound();
      if (current.status !== 'draft') {
        if (['cancelled', 'exception', 'ported'].includes(current.status))
          throw portInNotSubmittable(current.status);
        return current;
      }
      // A job already sent for it (created without `draft`) makes this a no-op: the id deduplicates.
      await deps.jobs.send(
        QUEUES.followPortIn,
        { portInId: current.id },
        { tx, tenantId, id: current.id, ...SUPPLIER_RETRIES },
      );
      return current;
    });
    return { portIn: portInMessage(row) };
  };
}
