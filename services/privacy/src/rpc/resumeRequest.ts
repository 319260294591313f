import type { RpcContext } from '@parley/kit';
import type { privacyV1 } from '@parley/proto';
import type { RequestWorkflow } from '../workflow';
import { toProtoRequest } from './requestMessage';

/** ResumeRequest: starts the clock again. */
export function makeResumeRequest(deps: { workflow: RequestWorkflow }) {
  const { workflow } = deps;
  return async ({ request, caller }: RpcContext<privacyV1.ResumeRequestRequest>) => ({
    request: toProtoRequest(await workflow.changeClock(caller, request.id, 'resume', '')),
  });
}
