import type { RpcContext } from '@parley/kit';
import type { privacyV1 } from '@parley/proto';
import type { RequestWorkflow } from '../workflow';
import { toProtoRequest } from './requestMessage';

/** CancelRequest: cancels a request not yet under way. */
export function makeCancelRequest(deps: { workflow: RequestWorkflow }) {
  const { workflow } = deps;
  return async ({ request, caller }: RpcContext<privacyV1.CancelRequestRequest>) => ({
    request: toProtoRequest(await workflow.cancel(caller, request.id, request.reason)),
  });
}
