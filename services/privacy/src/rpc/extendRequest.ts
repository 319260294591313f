import type { RpcContext } from '@parley/kit';
import type { privacyV1 } from '@parley/proto';
import type { RequestWorkflow } from '../workflow';
import { toProtoRequest } from './requestMessage';

/** ExtendRequest: extends the legal deadline, with a reason. */
export function makeExtendRequest(deps: { workflow: RequestWorkflow }) {
  const { workflow } = deps;
  return async ({ request, caller }: RpcContext<privacyV1.ExtendRequestRequest>) => ({
    request: toProtoRequest(await workflow.changeClock(caller, request.id, 'extend', request.reason)),
  });
}
