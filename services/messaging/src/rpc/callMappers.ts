import type { messagingV1 } from '@parley/proto';
import type { CallRecordingRow, CallRow } from '../db/schema';
import { directions } from './mappers';

export function callRecord(row: CallRow, recordings: number): messagingV1.CallRecord {
  return {
    id: row.id,
    carrierCallId: row.carrierCallId,
    direction: directions[row.direction]!,
    from: row.from,
    to: row.to,
    forwardedTo: row.forwardedTo ?? '',
    callerIdPresented: row.callerIdPresented ?? '',
    externalCallerId: row.externalCallerId ?? '',
    startedAt: row.startedAt,
    answeredAt: row.answeredAt ?? undefined,
    endedAt: row.endedAt,
    durationSeconds: row.durationSeconds,
    disposition: row.disposition,
    clientIp: row.clientIp ?? '',
    accountId: row.accountId ?? '',
    recordings,
  };
}

export const callRecording = (row: CallRecordingRow): messagingV1.CallRecording => ({
  id: row.id,
  carrierRecordingId: row.carrierRecordingId,
  kind: row.kind,
  url: row.url,
  durationSeconds: row.durationSeconds,
  channels: row.channels,
  consent: row.consent,
  createdAt: row.createdAt,
});
