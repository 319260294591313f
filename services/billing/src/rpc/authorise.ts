import { invalidArgument, type RpcContext } from '@parley/kit';
import type { billingV1 } from '@parley/proto';
import type { Authoriser } from '../domain/authoriser';

/**
 * Authorise: whether the caller's tenant may send now, from memory (no database read once the tenant's
 * wallet is loaded). A refusal is an answer, not an error, so the caller maps its reason to its own error.
 */
export function makeAuthorise(deps: { authoriser: Authoriser }) {
  return async ({
    request,
    caller,
  }: RpcContext<billingV1.AuthoriseRequest>): Promise<billingV1.AuthoriseResponse> => {
    if (request.kind !== 'sms' && request.kind !== 'mms') {
      throw invalidArgument('KIND_INVALID', 'kind must be sms or mms', [
        { field: 'kind', description: 'sms or mms' },
      ]);
    }
    const answer = await deps.authoriser.authorise(caller.tenantId, {
      kind: request.kind,
      segments: Math.max(1, request.segments),
      destinationCountry: request.destinationCountry,
      reference: request.reference,
    });
    if (!answer.allowed)
      return { allowed: false, reason: answer.reason, reservationId: '', estimate: undefined };
    return {
      allowed: true,
      reason: '',
      reservationId: answer.reservationId,
      estimate: answer.estimate?.toJSON(),
    };
  };
}
