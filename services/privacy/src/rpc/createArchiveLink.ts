import type { RpcContext } from '@parley/kit';
import type { privacyV1 } from '@parley/proto';
import type { makeCreateArchiveLink as makeLinks } from '../archives/archiveAccess';

/** CreateArchiveLink: an expiring link to a completed export's archive, for whoever may have it. */
export function makeCreateArchiveLink(deps: { createLink: ReturnType<typeof makeLinks> }) {
  return async ({
    request,
    caller,
  }: RpcContext<privacyV1.CreateArchiveLinkRequest>): Promise<privacyV1.CreateArchiveLinkResponse> =>
    deps.createLink(caller, request.id);
}
