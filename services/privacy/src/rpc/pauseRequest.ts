import type { RpcContext } from '@parley/kit';
import type { privacyV1 } from '@parley/proto';
import type { RequestWorkflow } from '../workflow';
import { toProtoRequest } from './requestMessage';

/** PauseRequest: stops the clock (waiting on the subject). */
export function makePauseRequest(deps: { workflow: RequestWorkflow }) {
  const { workflow } = deps;
  return async ({ request, caller }: RpcContext<privacyV1.PauseRequestRequest>) => ({
    request: toProtoRequest(await workflow.changeClock(caller, request.id, 'pause', request.reason)),
  });
}
