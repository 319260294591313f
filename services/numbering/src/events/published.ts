// The events numbering publishes, through the outbox in the transaction of the change they record.
import type { Outbox, Transaction } from '@parley/kit';
import { numberingV1 } from '@parley/proto';
import type { NumberRow } from '../db/schema';

const subjectOf = (row: NumberRow) => ({
  accountIds: row.accountId ? [row.accountId] : [],
  emails: [],
  phones: [row.e164, ...(row.forwardingTarget ? [row.forwardingTarget] : [])],
  userIds: [],
});

/** `numbering.number.assigned`: what billing needs to charge setup and monthly rent. */
export function publishAssigned(outbox: Outbox, tx: Transaction, row: NumberRow) {
  return outbox.enqueue(tx, {
    type: 'numbering.number.assigned',
    tenantId: row.tenantId,
    key: `number:${row.e164}`,
    subject: subjectOf(row),
    payloadType: 'parley.numbering.v1.NumberAssigned',
    messageType: numberingV1.NumberAssigned,
    payload: {
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
    },
  });
}

export function publishConfigured(outbox: Outbox, tx: Transaction, row: NumberRow, changedFields: string[]) {
  return outbox.enqueue(tx, {
    type: 'numbering.number.configured',
    tenantId: row.tenantId,
    key: `number:${row.e164}`,
    subject: subjectOf(row),
    payloadType: 'parley.numbering.v1.NumberConfigured',
    messageType: numberingV1.NumberConfigured,
    payload: { numberId: row.id, e164: row.e164, changedFields, configuredAt: row.updatedAt },
  });
}

export function publishReleased(outbox: Outbox, tx: Transaction, row: NumberRow) {
  return outbox.enqueue(tx, {
    type: 'numbering.number.released',
    tenantId: row.tenantId,
    key: `number:${row.e164}`,
    subject: subjectOf(row),
    payloadType: 'parley.numbering.v1.NumberReleased',
    messageType: numberingV1.NumberReleased,
    payload: {
      numberId: row.id,
      e164: row.e164,
      releasedAt: row.releasedAt ?? new Date(),
      quarantineUntil: row.quarantineUntil ?? new Date(),
    },
  });
}
