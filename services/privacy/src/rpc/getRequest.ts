import type { RpcContext } from '@parley/kit';
import type { privacyV1 } from '@parley/proto';
import type { RequestWorkflow } from '../workflow';
import { toProtoRequest } from './requestMessage';

/** GetRequest: one request as the caller may see it. */
export function makeGetRequest(deps: { workflow: RequestWorkflow }) {
  const { workflow } = deps;
  return async ({ request, caller }: RpcContext<privacyV1.GetRequestRequest>) => ({
    request: toProtoRequest(await workflow.viewFor(caller, request.id)),
  });
}
