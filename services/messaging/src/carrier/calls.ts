import { v7 as uuidv7 } from 'uuid';
import { isErased, matchingHashes, meter } from '@parley/kit';
import type { MessagingDeps } from '../deps';
import { peerOf, recordingRefusal, tenantNumberOf, type CallDetailRecord } from '../domain/calls';
import { publishCallRecorded } from '../events/published';
import { phone } from '../outbound';

/** What became of a call detail record. */
export type CallRecordOutcome = 'recorded' | 'duplicate' | 'unknown_number' | 'erased';

const recordsCounter = meter('messaging').createCounter('messaging_call_records_total', {
  description: 'Call detail records received from the carrier, by outcome',
});
const refusedRecordings = meter('messaging').createCounter('messaging_call_recordings_refused_total', {
  description:
    'Recording references not stored: the tenant does not allow recordings, or requires consent the carrier did not flag',
});

/**
 * Records a call detail record for the tenant holding the call's Parley number, in one transaction: the
 * carrier's call id is claimed (a resend finds it taken and changes nothing), the record stored, its
 * recording reference kept when the tenant's policy allows it (otherwise counted as refused), and
 * `messaging.call.recorded` published. A call about an erased person (a tombstone for the other party or
 * the forwarding target) is not stored: nothing about them comes back. A number no tenant holds: nothing
 * is kept (the carrier is answered, or it would send it again for ever).
 */
export function makeCallRecorder(
  deps: Pick<
    MessagingDeps,
    'numbers' | 'withTenant' | 'calls' | 'settings' | 'outbox' | 'subjectHashKeys' | 'log'
  >,
) {
  return async (cdr: CallDetailRecord): Promise<CallRecordOutcome> => {
    const outcome = await record(cdr);
    recordsCounter.add(1, { outcome });
    return outcome;
  };

  async function record(cdr: CallDetailRecord): Promise<CallRecordOutcome> {
    const number = await deps.numbers.resolve(tenantNumberOf(cdr), '');
    if (!number) {
      deps.log.warn({ direction: cdr.direction }, 'call record for a number no tenant holds: dropped');
      return 'unknown_number';
    }
    const tenantId = number.tenantId;
    return deps.withTenant(tenantId, async (tx) => {
      const people = [peerOf(cdr), ...(cdr.forwardedTo ? [cdr.forwardedTo] : [])];
      const hashes = people.flatMap((person) =>
        matchingHashes(deps.subjectHashKeys, tenantId, phone(person)),
      );
      if (await isErased(tx, tenantId, hashes)) return 'erased';
      // The id's time is the call's start: a lookup by id alone finds its partition.
      const id = uuidv7({ msecs: cdr.startedAt.getTime() });
      if (!(await deps.calls.claim(tx, tenantId, cdr.callId, id))) return 'duplicate';
      const row = await deps.calls.insert(tx, {
        tenantId,
        id,
        accountId: number.accountId || null,
        carrierCallId: cdr.callId,
        direction: cdr.direction,
        from: cdr.from,
        to: cdr.to,
        forwardedTo: cdr.forwardedTo,
        callerIdPresented: cdr.callerIdPresented,
        externalCallerId: cdr.externalCallerId,
        startedAt: cdr.startedAt,
        answeredAt: cdr.answeredAt,
        endedAt: cdr.endedAt,
        durationSeconds: cdr.durationSeconds,
        disposition: cdr.disposition,
        clientIp: cdr.clientIp,
      });
      if (cdr.recording) {
        const refusal = recordingRefusal(await deps.settings.get(tx), cdr.recording);
        if (refusal) {
          refusedRecordings.add(1, { reason: refusal });
          deps.log.info({ reason: refusal, callId: row.id }, 'recording reference not stored');
        } else
          await deps.calls.insertRecording(tx, {
            tenantId,
            callId: row.id,
            callStartedAt: row.startedAt,
            id: uuidv7(),
            carrierRecordingId: cdr.recording.id,
            kind: cdr.recording.kind,
            url: cdr.recording.url,
            durationSeconds: cdr.recording.durationSeconds,
            channels: cdr.recording.channels,
            consent: cdr.recording.consent,
          });
      }
      await publishCallRecorded(deps.outbox, tx, row);
      return 'recorded';
    });
  }
}
