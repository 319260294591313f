import type { RpcContext } from '@parley/kit';
import type { privacyV1 } from '@parley/proto';
import type { RequestWorkflow } from '../workflow';
import { toProtoRequest } from './requestMessage';

/** VerifyRequest: checks the code sent to the subject. */
export function makeVerifyRequest(deps: { workflow: RequestWorkflow }) {
  const { workflow } = deps;
  return async ({ request, caller }: RpcContext<privacyV1.VerifyRequestRequest>) => ({
    request: toProtoRequest(await workflow.verify(caller, request.id, request.code)),
  });
}
