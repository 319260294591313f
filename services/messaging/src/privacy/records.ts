// How each category's records read in an export.
import type { ExportPage, ExportRecord } from '@parley/kit';
import type { CallRecordingRow, CallRow, KeptCallRow, MessageRow, WebhookDeliveryRow } from '../db/schema';
import { keptCallFields } from './callRecords';

export const callRecord = (row: CallRow) => ({
  callId: row.id,
  carrierCallId: row.carrierCallId,
  direction: row.direction,
  from: row.from,
  to: row.to,
  forwardedTo: row.forwardedTo,
  callerIdPresented: row.callerIdPresented,
  externalCallerId: row.externalCallerId,
  startedAt: row.startedAt.toISOString(),
  answeredAt: row.answeredAt?.toISOString() ?? null,
  endedAt: row.endedAt.toISOString(),
  durationSeconds: row.durationSeconds,
  disposition: row.disposition,
  clientIp: row.clientIp,
  accountId: row.accountId,
});

/** A call record kept after someone else's erasure: as `callRecord`, their keyed hashes shown as null. */
export const keptCallRecord = (row: KeptCallRow) => ({
  ...callRecord(row),
  ...keptCallFields(row),
  keptUntil: row.keptUntil.toISOString(),
  keptBasis: row.keptBasis,
});

export const recordingRecord = (row: CallRecordingRow) => ({
  callId: row.callId,
  recordingId: row.id,
  carrierRecordingId: row.carrierRecordingId,
  kind: row.kind,
  url: row.url,
  durationSeconds: row.durationSeconds,
  channels: row.channels,
  consent: row.consent,
  createdAt: row.createdAt.toISOString(),
});

export const metadataRecord = (
  row: MessageRow,
  history: { status: string; errorCode: string | null; at: Date }[],
) => ({
  messageId: row.id,
  direction: row.direction,
  from: row.from,
  to: row.to,
  accountId: row.accountId,
  encoding: row.encoding,
  segments: row.segments,
  status: row.status,
  errorCode: row.errorCode,
  senderClass: row.senderClass,
  createdAt: row.createdAt.toISOString(),
  updatedAt: row.updatedAt.toISOString(),
  history: history.map((change) => ({
    status: change.status,
    errorCode: change.errorCode,
    at: change.at.toISOString(),
  })),
});

export const deliveryRecord = (row: WebhookDeliveryRow) => ({
  deliveryId: row.id,
  url: row.url,
  type: row.type,
  payload: row.payload,
  status: row.status,
  attempts: row.attempts,
  lastStatusCode: row.lastStatusCode,
  createdAt: row.createdAt.toISOString(),
  deliveredAt: row.deliveredAt?.toISOString() ?? null,
});

/** A page of records after a text keyset, from one query that answers `limit + 1` rows at most. */
export function keysetPage<Row>(
  rows: Row[],
  limit: number,
  stage: string,
  keyOf: (row: Row) => string,
  record: (row: Row) => ExportRecord,
  after: string,
): ExportPage {
  const page = rows.slice(0, limit);
  return {
    records: page.map(record),
    next: rows.length > limit ? `${stage}:${keyOf(page[page.length - 1]!)}` : after,
  };
}
