// The events numbering publishes, through the outbox in the transaction of the change they record.
import type { MessageType, Outbox, Transaction } from '@parley/kit';
import { numberingV1 } from '@parley/proto';
import type { NumberRow } from '../db/schema';

const subjectOf = (row: NumberRow) => ({
  accountIds: row.accountId ? [row.accountId] : [],
  emails: [],
  phones: [row.e164, ...(row.forwardingTarget ? [row.forwardingTarget] : [])],
  userIds: [],
});

/** One event about a number: keyed by the number, so consumers apply its events in commit order. */
function publish<T>(
  outbox: Outbox,
  tx: Transaction,
  row: NumberRow,
  verb: 'assigned' | 'configured' | 'released',
  messageType: MessageType<T>,
  payload: T,
) {
  const name = `Number${verb[0]!.toUpperCase()}${verb.slice(1)}`;
  return outbox.enqueue(tx, {
    type: `numbering.number.${verb}`,
    tenantId: row.tenantId,
    key: `number:${row.e164}`,
    subject: subjectOf(row),
    payloadType: `parley.numbering.v1.${name}`,
    messageType,
    payload,
  });
}

/** `numbering.number.assigned`: what billing needs to charge setup and monthly rent. */
export function publishAssigned(outbox: Outbox, tx: Transaction, row: NumberRow) {
  return publish(outbox, tx, row, 'assigned', numberingV1.NumberAssigned, {
    numberId: row.id,
    e164: row.e164,
    country: row.country,
    type: row.type,
    setupPrice: { currency: row.currency, minorUnits: row.setupMinor.toString() },
    monthlyPrice: { currency: row.currency, minorUnits: row.monthlyMinor.toString() },
    assignedAt: row.assignedAt,
    accountId: row.accountId ?? '',
    source: row.source,
    sourceId: row.sourceId,
  });
}

export function publishConfigured(outbox: Outbox, tx: Transaction, row: NumberRow, changedFields: string[]) {
  return publish(outbox, tx, row, 'configured', numberingV1.NumberConfigured, {
    numberId: row.id,
    e164: row.e164,
    changedFields,
    configuredAt: row.updatedAt,
  });
}

export function publishReleased(outbox: Outbox, tx: Transaction, row: NumberRow) {
  return publish(outbox, tx, row, 'released', numberingV1.NumberReleased, {
    numberId: row.id,
    e164: row.e164,
    releasedAt: row.releasedAt ?? new Date(),
    quarantineUntil: row.quarantineUntil ?? new Date(),
  });
}
