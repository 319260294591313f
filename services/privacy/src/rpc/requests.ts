import { decodePageToken, encodePageToken, grants, pageSize, type RpcContext } from '@parley/kit';
import { participantV1, type privacyV1 } from '@parley/proto';
import { parseSubmission } from '../domain/requests';
import type { RequestView, RequestWorkflow } from '../workflow';
import type { RequestTaskRow } from '../db/schema';

/** A participant's task as the contract shows it; purges name their category (`gateway/access_log`). */
export function toProtoTask(task: RequestTaskRow): privacyV1.ParticipantTask {
  return {
    participant: task.category ? `${task.participant}/${task.category}` : task.participant,
    state: task.state,
    requestedAt: task.requestedAt,
    completedAt: task.completedAt ?? undefined,
    receipt: (task.receipt ?? []).map((line) =>
      participantV1.CategoryReceipt.fromPartial(line as Partial<participantV1.CategoryReceipt>),
    ),
    failureCode: task.failureCode ?? '',
    failureReason: task.failureReason ?? '',
  };
}

export function toProtoRequest(view: RequestView): privacyV1.SubjectRequest {
  const { row } = view;
  return {
    id: row.id,
    type: row.type,
    state: row.state,
    receivedAt: row.receivedAt,
    dueAt: view.dueAt,
    jurisdiction: row.jurisdiction,
    subjectJson: JSON.stringify(row.subject),
    urgency: view.urgency,
    extended: row.extended,
    extensionReason: row.extensionReason ?? '',
    paused: Boolean(row.pausedAt),
    acknowledgeBy: view.acknowledgeBy,
    reason: row.reason ?? '',
    tasks: view.tasks.map(toProtoTask),
    waitingFor: view.tasks.filter((task) => task.state === 'pending').map((task) => task.participant),
    completedAt: row.completedAt ?? undefined,
    verifiedBy: row.verifiedBy ?? '',
    changesJson: row.changes ? JSON.stringify(row.changes) : '',
    archiveReady: view.archiveReady,
  };
}

export function makeRequestHandlers(deps: { workflow: RequestWorkflow }) {
  const { workflow } = deps;
  return {
    submitRequest: async ({ request, caller }: RpcContext<privacyV1.SubmitRequestRequest>) => ({
      request: toProtoRequest(await workflow.submit(caller, parseSubmission(request))),
    }),
    getRequest: async ({ request, caller }: RpcContext<privacyV1.GetRequestRequest>) => ({
      request: toProtoRequest(await workflow.viewFor(caller, request.id)),
    }),
    listRequests: async ({ request, caller }: RpcContext<privacyV1.ListRequestsRequest>) => {
      const size = pageSize(request.pageSize);
      const views = await workflow.list(caller.tenantId, {
        size,
        ownedBy: grants(caller.scopes, 'privacy:read') ? undefined : caller,
        state: request.state || undefined,
        type: request.type || undefined,
        overdue: request.overdue,
        before: decodePageToken(request.pageToken),
      });
      const page = views.slice(0, size);
      const last = page[page.length - 1];
      return {
        requests: page.map(toProtoRequest),
        nextPageToken:
          views.length > size && last ? encodePageToken({ at: last.row.receivedAt, id: last.row.id }) : '',
      };
    },
    verifyRequest: async ({ request, caller }: RpcContext<privacyV1.VerifyRequestRequest>) => ({
      request: toProtoRequest(await workflow.verify(caller, request.id, request.code)),
    }),
    extendRequest: async ({ request, caller }: RpcContext<privacyV1.ExtendRequestRequest>) => ({
      request: toProtoRequest(await workflow.changeClock(caller, request.id, 'extend', request.reason)),
    }),
    pauseRequest: async ({ request, caller }: RpcContext<privacyV1.PauseRequestRequest>) => ({
      request: toProtoRequest(await workflow.changeClock(caller, request.id, 'pause', request.reason)),
    }),
    resumeRequest: async ({ request, caller }: RpcContext<privacyV1.ResumeRequestRequest>) => ({
      request: toProtoRequest(await workflow.changeClock(caller, request.id, 'resume', '')),
    }),
    cancelRequest: async ({ request, caller }: RpcContext<privacyV1.CancelRequestRequest>) => ({
      request: toProtoRequest(await workflow.cancel(caller, request.id, request.reason)),
    }),
    createArchiveLink: async ({ request, caller }: RpcContext<privacyV1.CreateArchiveLinkRequest>) =>
      workflow.archiveLink(caller, request.id),
    downloadArchive: async ({ request, caller }: RpcContext<privacyV1.DownloadArchiveRequest>) =>
      workflow.download(caller, request.token),
  };
}
