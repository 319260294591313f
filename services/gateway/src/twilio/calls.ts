import { messagingV1 } from '@parley/proto';
import type { Backends } from '../backends';
import { notFound, TwilioError } from './errors';
import { API_VERSION, callResource, listPage, twilioCallStatus } from './format';
import { dateRange, filtersOf, one, pageNumberOf, pageSizeOf, type TwilioOperation } from './operation';
import { uuidOf } from './sids';

/** Twilio's call statuses in Parley's dispositions; the other statuses name calls not ended, never kept. */
const dispositionByStatus = Object.fromEntries(
  Object.entries(twilioCallStatus).map(([disposition, status]) => [status, disposition]),
);
const statusesOfCallsNotEnded = new Set(['queued', 'ringing', 'in-progress', 'canceled']);

const listFilters = ['To', 'From', 'Status', 'StartTime', 'StartTime<', 'StartTime>'] as const;
const endFilters = ['EndTime', 'EndTime<', 'EndTime>'] as const;

/**
 * The Call resource: list and fetch the records of the calls the tenant's numbers carried (messaging's
 * ListCalls and GetCall, as `/v1/calls` calls them). Parley does not place calls: the carrier or a SIP
 * platform carries them, so creating one is refused with Twilio's 20004 (405, the method is not offered on
 * a resource that exists), which the libraries raise as a RestException like any refusal.
 */
export function callOperations(backends: Backends): TwilioOperation[] {
  const { messaging } = backends;
  return [
    {
      method: 'get',
      path: '/Calls.json',
      scope: 'calls:read',
      run: async ({ caller, accountSid, query }) => {
        const pageSize = pageSizeOf(query);
        const to = one(query, 'To');
        const from = one(query, 'From');
        const status = one(query, 'Status');
        const disposition = status === undefined ? '' : dispositionByStatus[status];
        if (disposition === undefined && !statusesOfCallsNotEnded.has(status!))
          throw new TwilioError(
            400,
            20001,
            `Status must be one of queued, ringing, in-progress, canceled, completed, busy, no-answer, failed`,
          );
        const started = dateRange(query, 'StartTime');
        const ended = dateRange(query, 'EndTime');
        const filters = filtersOf(query, [...listFilters, ...endFilters]);
        const path = `/${API_VERSION}/Accounts/${accountSid}/Calls.json`;
        const page = { key: 'calls', path, filters, page: pageNumberOf(query), pageSize };
        // Records are of ended calls only: none is queued, ringing or in progress.
        if (disposition === undefined)
          return { status: 200, body: listPage({ ...page, records: [], nextPageToken: '' }) };
        const found = await backends.as(caller, messaging, messaging.listCalls, {
          pageSize,
          pageToken: one(query, 'PageToken') ?? '',
          phoneNumber: to ?? from ?? '',
          direction: messagingV1.Direction.DIRECTION_UNSPECIFIED,
          disposition,
          ...(started.after ? { startedAfter: started.after } : {}),
          ...(started.before ? { startedBefore: started.before } : {}),
        });
        // Parley filters by a number at either end and by start; Twilio's To and From name one end each.
        const records = found.calls.filter(
          (call) =>
            (!to || call.to === to) &&
            (!from || call.from === from) &&
            (!ended.after || (call.endedAt !== undefined && call.endedAt >= ended.after)) &&
            (!ended.before || (call.endedAt !== undefined && call.endedAt < ended.before)),
        );
        return {
          status: 200,
          body: listPage({
            ...page,
            records: records.map((call) => callResource(call, accountSid)),
            nextPageToken: found.nextPageToken,
          }),
        };
      },
    },
    {
      method: 'get',
      path: '/Calls/:CallSid.json',
      scope: 'calls:read',
      run: async ({ caller, accountSid, params, request }) => {
        const id = uuidOf('CA', params.CallSid ?? '');
        if (!id) throw notFound(request);
        const { call } = await backends.as(caller, messaging, messaging.getCall, { id });
        return { status: 200, body: callResource(call, accountSid) };
      },
    },
    {
      method: 'post',
      path: '/Calls.json',
      scope: 'calls:read',
      run: async () => {
        throw new TwilioError(
          405,
          20004,
          'Method not allowed: Parley keeps the records of the calls your carrier or SIP platform carries and does not place calls (GET Calls.json lists them)',
          { Allow: 'GET' },
        );
      },
    },
  ];
}
