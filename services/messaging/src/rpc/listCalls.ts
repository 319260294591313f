import { decodePageToken, pageSize, type FieldViolation, type RpcContext } from '@parley/kit';
import { messagingV1 } from '@parley/proto';
import type { MessagingDeps } from '../deps';
import type { CallFilters } from '../db/calls';
import type { CallDisposition } from '../db/schema';
import { CALL_DISPOSITIONS } from '../domain/calls';
import { invalidRequest } from '../domain/errors';
import { callRecord } from './callMappers';

const directionFilter: Partial<Record<messagingV1.Direction, 'outbound' | 'inbound'>> = {
  [messagingV1.Direction.DIRECTION_OUTBOUND]: 'outbound',
  [messagingV1.Direction.DIRECTION_INBOUND]: 'inbound',
};

/** A page of the tenant's call records, newest first, narrowed by number, direction, disposition and time. */
export function makeListCalls(deps: Pick<MessagingDeps, 'withTenant' | 'calls'>) {
  return async ({
    request,
    caller,
  }: RpcContext<messagingV1.ListCallsRequest>): Promise<messagingV1.ListCallsResponse> => {
    const violations: FieldViolation[] = [];
    const filters: CallFilters = {};
    if (request.phoneNumber !== '') {
      if (/^\+[1-9]\d{6,14}$/.test(request.phoneNumber)) filters.phoneNumber = request.phoneNumber;
      else violations.push({ field: 'phoneNumber', description: 'an E.164 number, e.g. +14155550123' });
    }
    const direction = directionFilter[request.direction];
    if (direction) filters.direction = direction;
    if (request.disposition !== '') {
      if (CALL_DISPOSITIONS.includes(request.disposition as CallDisposition))
        filters.disposition = request.disposition as CallDisposition;
      else violations.push({ field: 'disposition', description: `one of ${CALL_DISPOSITIONS.join(', ')}` });
    }
    if (request.startedAfter) filters.startedAfter = request.startedAfter;
    if (request.startedBefore) filters.startedBefore = request.startedBefore;
    if (violations.length > 0) throw invalidRequest(violations);
    return deps.withTenant(caller.tenantId, async (tx) => {
      const page = await deps.calls.list(
        tx,
        filters,
        pageSize(request.pageSize),
        decodePageToken(request.pageToken),
      );
      const recordings = await deps.calls.recordingCounts(tx, page.items);
      return {
        calls: page.items.map((row) => callRecord(row, recordings.get(row.id) ?? 0)),
        nextPageToken: page.nextPageToken,
      };
    });
  };
}
