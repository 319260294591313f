import type { RpcContext } from '@parley/kit';
import type { billingV1 } from '@parley/proto';
import type { Authoriser } from '../domain/authoriser';

/** ReleaseReservation: a send that was authorised and then did not happen gives its reservation back. */
export function makeReleaseReservation(deps: { authoriser: Authoriser }) {
  return async ({
    request,
    caller,
  }: RpcContext<billingV1.ReleaseReservationRequest>): Promise<billingV1.ReleaseReservationResponse> => {
    deps.authoriser.release(caller.tenantId, request.reservationId);
    return {};
  };
}
