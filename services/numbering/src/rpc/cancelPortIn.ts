import { type RpcContext } from '@parley/kit';
import type { numberingV1 } from '@parley/proto';
import { type NumberingDeps } from '../deps';
import { fromSupplier, portInNotCancellable, portInNotFound } from '../domain/errors';
import { checkCancellable } from '../domain/portIn';
import { SupplierError } from '../domain/supplier';
import { portInMessage } from './mappers';

/**
 * Cancels a port-in: refused once it is activating or ported, and within 48 hours of the confirmed date.
 * A submitted port-in is cancelled at the supplier first; its numbers are freed.
 */
export function makeCancelPortIn(
  deps: Pick<NumberingDeps, 'withTenant' | 'portIns' | 'numbers' | 'supplier'>,
) {
  return async ({
    request,
    caller,
  }: RpcContext<numberingV1.CancelPortInRequest>): Promise<numberingV1.CancelPortInResponse> => {
    const tenantId = caller.tenantId;
    const current = await deps.withTenant(tenantId, (tx) => deps.portIns.find(tx, request.portInId));
    if (!current) throw portInNotFound();
    checkCancellable(current.status, current.focDate, new Date());
    if (current.status === 'cancelled') return { portIn: portInMessage(current) };
    if (current.supplierPortInId && current.status !== 'exception') {
      await deps.supplier.cancelPortIn(current.supplierPortInId).catch((error: unknown) => {
        if (error instanceof SupplierError && error.kind === 'rejected') {
          throw portInNotCancellable('the losing carrier is already moving the numbers');
        }
        throw fromSupplier(error);
      });
    }
    const row = await deps.withTenant(tenantId, async (tx) => {
      const locked = await deps.portIns.find(tx, current.id, true);
      if (!locked) throw portInNotFound();
      checkCancellable(locked.status, locked.focDate, new Date());
      if (locked.status === 'cancelled') return locked;
      for (const e164 of locked.phoneNumbers) await deps.numbers.unclaim(tx, e164);
      return deps.portIns.update(tx, locked.id, { status: 'cancelled', pin: null, completedAt: new Date() });
    });
    return { portIn: portInMessage(row) };
  };
}
