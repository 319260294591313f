import type { RpcContext } from '@parley/kit';
import type { privacyV1 } from '@parley/proto';
import type { RequestWorkflow } from '../workflow';
import { toProtoRequest } from './requestMessage';
import { parseSubmission } from '../domain/requests';

/** SubmitRequest: files a data-subject request (verified at once for an officer or the subject logged in). */
export function makeSubmitRequest(deps: { workflow: RequestWorkflow }) {
  const { workflow } = deps;
  return async ({ request, caller }: RpcContext<privacyV1.SubmitRequestRequest>) => ({
    request: toProtoRequest(await workflow.submit(caller, parseSubmission(request))),
  });
}
