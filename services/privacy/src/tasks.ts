import { privacyTaskEvent, type Outbox, type Transaction } from '@parley/kit';
import { participantV1 } from '@parley/proto';
import type { Identifiers, SubjectRequestRow } from './db/schema';

export const emptyIdentifiers: Identifiers = { accountIds: [], emails: [], phones: [], userIds: [] };

/** Sends one participant its durable task for a request (through the outbox, in the request's transaction). */
export async function sendTask(
  outbox: Outbox,
  tx: Transaction,
  task: {
    tenantId: string;
    row: SubjectRequestRow;
    participant: string;
    action: number;
    hold?: string;
    purposes?: string[];
  },
): Promise<void> {
  const { tenantId, row, participant, action, hold, purposes = [] } = task;
  await outbox.enqueue(tx, {
    type: privacyTaskEvent(participant),
    tenantId,
    key: `privacy-request:${row.id}`,
    subject: { ...emptyIdentifiers, ...row.identifiers },
    payloadType: 'parley.privacy.v1.PrivacyTask',
    messageType: participantV1.PrivacyTask,
    payload: {
      requestId: row.id,
      participant,
      action,
      subject: { ...emptyIdentifiers, ...row.identifiers },
      changesJson: row.changes ? JSON.stringify(row.changes) : '',
      legalHoldReason: hold ?? '',
      purgeCategory: '',
      purposes,
    },
  });
}
