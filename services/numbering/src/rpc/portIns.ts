import { randomUUID } from 'node:crypto';
import { decodePageToken, onceForRequest, pageSize, type RpcContext } from '@parley/kit';
import type { numberingV1 } from '@parley/proto';
import { QUEUES, type NumberingDeps } from '../deps';
import {
  fromSupplier,
  numberAlreadyOwned,
  numberNotAvailable,
  portInNotCancellable,
  portInNotFound,
  portInNotSubmittable,
} from '../domain/errors';
import { checkCancellable, validatePortIn } from '../domain/portIn';
import { SupplierError } from '../domain/supplier';
import { portInMessage } from './mappers';

export const PORT_IN_RETRIES = {
  retryLimit: 300,
  retryDelaySeconds: 2,
  retryBackoff: true,
  retryDelayMaxSeconds: 300,
};

/**
 * Records a port-in and claims its numbers in the directory (nobody can buy them meanwhile); unless it is
 * a draft, the job that submits it and follows it through the supplier's states is sent in the same
 * transaction.
 */
export function makeCreatePortIn(deps: Pick<NumberingDeps, 'withTenant' | 'portIns' | 'numbers' | 'jobs'>) {
  return async ({
    request,
    caller,
    requestId,
  }: RpcContext<numberingV1.CreatePortInRequest>): Promise<numberingV1.CreatePortInResponse> => {
    const input = validatePortIn({
      ...request,
      address: {
        line1: '',
        line2: '',
        city: '',
        region: '',
        postalCode: '',
        country: '',
        ...request.address,
      },
    });
    const tenantId = caller.tenantId;
    const row = await deps.withTenant(tenantId, async (tx) => {
      const { result } = await onceForRequest(tx, { requestId, operation: 'CreatePortIn' }, async () => {
        for (const e164 of input.phoneNumbers) {
          const own = await deps.numbers.findLive(tx, e164);
          if (own?.status === 'active') throw numberAlreadyOwned();
          if (!(await deps.numbers.claim(tx, tenantId, e164, 'porting'))) throw numberNotAvailable();
        }
        const created = await deps.portIns.insert(tx, {
          id: randomUUID(),
          tenantId,
          status: 'draft',
          phoneNumbers: input.phoneNumbers,
          losingCarrier: input.losingCarrier,
          accountNumber: input.accountNumber,
          pin: input.pin || null,
          authorizedName: input.authorizedName,
          address: input.address,
          requestedDate: input.requestedDate,
          documents: input.documents,
          accountId: input.accountId,
        });
        if (!request.draft) {
          await deps.jobs.send(
            QUEUES.followPortIn,
            { portInId: created.id },
            { tx, tenantId, ...PORT_IN_RETRIES },
          );
        }
        return created.id;
      });
      return (await deps.portIns.find(tx, result))!;
    });
    return { portIn: portInMessage(row) };
  };
}

export function makeGetPortIn(deps: Pick<NumberingDeps, 'withTenant' | 'portIns'>) {
  return async ({
    request,
    caller,
  }: RpcContext<numberingV1.GetPortInRequest>): Promise<numberingV1.GetPortInResponse> => {
    const row = await deps.withTenant(caller.tenantId, (tx) => deps.portIns.find(tx, request.portInId));
    if (!row) throw portInNotFound();
    return { portIn: portInMessage(row) };
  };
}

export function makeListPortIns(deps: Pick<NumberingDeps, 'portIns'>) {
  return async ({
    request,
    caller,
  }: RpcContext<numberingV1.ListPortInsRequest>): Promise<numberingV1.ListPortInsResponse> => {
    const page = await deps.portIns.list(
      caller.tenantId,
      pageSize(request.pageSize),
      decodePageToken(request.pageToken),
    );
    return { portIns: page.items.map(portInMessage), nextPageToken: page.nextPageToken };
  };
}

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
        { tx, tenantId, id: current.id, ...PORT_IN_RETRIES },
      );
      return current;
    });
    return { portIn: portInMessage(row) };
  };
}

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
