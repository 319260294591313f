import { randomUUID } from 'node:crypto';
import { onceForRequest, type RpcContext } from '@parley/kit';
import type { numberingV1 } from '@parley/proto';
import { QUEUES, SUPPLIER_RETRIES, type NumberingDeps } from '../deps';
import { numberAlreadyOwned, numberNotAvailable } from '../domain/errors';
import { validatePortIn } from '../domain/portIn';
import { portInMessage } from './mappers';

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
            { tx, tenantId, id: created.id, ...SUPPLIER_RETRIES },
          );
        }
        return created.id;
      });
      return (await deps.portIns.find(tx, result))!;
    });
    return { portIn: portInMessage(row) };
  };
}
