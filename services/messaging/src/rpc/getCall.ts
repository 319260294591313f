import type { RpcContext } from '@parley/kit';
import type { messagingV1 } from '@parley/proto';
import type { MessagingDeps } from '../deps';
import { callNotFound, invalidRequest } from '../domain/errors';
import { timeOfUuidV7 } from '../domain/messages';
import { callRecord, callRecording } from './callMappers';

/** One of the tenant's call records with its recording references, oldest first. */
export function makeGetCall(deps: Pick<MessagingDeps, 'withTenant' | 'calls'>) {
  return async ({
    request,
    caller,
  }: RpcContext<messagingV1.GetCallRequest>): Promise<messagingV1.GetCallResponse> => {
    if (request.id === '') throw invalidRequest([{ field: 'id', description: 'a call record id' }]);
    // Call record ids are UUIDv7 whose time is the call's start, which finds its partition.
    const startedAt = timeOfUuidV7(request.id);
    if (!startedAt) throw callNotFound();
    return deps.withTenant(caller.tenantId, async (tx) => {
      const row = await deps.calls.find(tx, request.id, startedAt);
      if (!row) throw callNotFound();
      const recordings = await deps.calls.recordingsOf(tx, row);
      return { call: callRecord(row, recordings.length), recordings: recordings.map(callRecording) };
    });
  };
}
