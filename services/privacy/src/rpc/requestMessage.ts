// How a data-subject request and its tasks read in the contract.
import { participantV1, type privacyV1 } from '@parley/proto';
import type { RequestView } from '../workflow';
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
