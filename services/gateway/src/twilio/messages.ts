import { messagingV1 } from '@parley/proto';
import type { Backends } from '../backends';
import { notFound, TwilioError } from './errors';
import { API_VERSION, listPage, messageResource } from './format';
import {
  many,
  one,
  pageNumberOf,
  pageSizeOf,
  refuseUnoffered,
  type Fields,
  type TwilioOperation,
} from './operation';
import { uuidOf } from './sids';

/** `DateSent` filters: a day (`2026-12-01`) or an instant; `<` is on or before, `>` on or after. */
function sentRange(query: Fields): { createdAfter?: Date; createdBefore?: Date } {
  const parse = (name: string) => {
    const value = one(query, name);
    if (value === undefined) return undefined;
    const day = /^\d{4}-\d{2}-\d{2}$/.test(value);
    const at = new Date(day ? `${value}T00:00:00Z` : value);
    if (Number.isNaN(at.getTime()))
      throw new TwilioError(400, 20001, `${name} must be a date (YYYY-MM-DD) or an ISO 8601 date-time`);
    return { at, day };
  };
  const nextDay = (at: Date) => new Date(at.getTime() + 24 * 60 * 60 * 1000);
  const on = parse('DateSent');
  if (on) return { createdAfter: on.at, createdBefore: nextDay(on.at) };
  const before = parse('DateSent<');
  const after = parse('DateSent>');
  return {
    ...(after ? { createdAfter: after.at } : {}),
    ...(before ? { createdBefore: before.day ? nextDay(before.at) : before.at } : {}),
  };
}

/** The Message resource: send, list, fetch. Sending is messaging's SendMessage, as on `POST /v1/messages`. */
export function messageOperations(backends: Backends): TwilioOperation[] {
  const { messaging } = backends;
  return [
    {
      method: 'post',
      path: '/Messages.json',
      scope: 'messages:write',
      creates: true,
      run: async ({ caller, accountSid, form }) => {
        refuseUnoffered(form, ['MessagingServiceSid', 'ContentSid', 'SendAt', 'ScheduleType']);
        const to = one(form, 'To');
        const from = one(form, 'From');
        const body = one(form, 'Body') ?? '';
        const mediaUrls = many(form, 'MediaUrl');
        if (!to) throw new TwilioError(400, 21604, "A 'To' phone number is required.");
        if (!from) throw new TwilioError(400, 21603, "A 'From' phone number is required.");
        if (!body && mediaUrls.length === 0) throw new TwilioError(400, 21602, 'Message body is required.');
        const validity = one(form, 'ValidityPeriod');
        if (validity !== undefined && !/^\d{1,6}$/.test(validity))
          throw new TwilioError(400, 20001, 'ValidityPeriod must be a whole number of seconds');
        const { message } = await backends.as(caller, messaging, messaging.sendMessage, {
          from,
          to,
          body,
          mediaUrls,
          statusCallback: one(form, 'StatusCallback') ?? '',
          validityPeriodSeconds: validity === undefined ? 0 : Number(validity),
        });
        return { status: 201, body: messageResource(message, accountSid) };
      },
    },
    {
      method: 'get',
      path: '/Messages.json',
      scope: 'messages:read',
      run: async ({ caller, accountSid, query }) => {
        const pageSize = pageSizeOf(query);
        const to = one(query, 'To');
        const from = one(query, 'From');
        const range = sentRange(query);
        const page = await backends.as(caller, messaging, messaging.listMessages, {
          pageSize,
          pageToken: one(query, 'PageToken') ?? '',
          phoneNumber: to ?? from ?? '',
          direction: messagingV1.Direction.DIRECTION_UNSPECIFIED,
          status: '',
          ...range,
        });
        // Parley filters by a number at either end; Twilio's To and From name one end each.
        const records = page.messages.filter(
          (message) => (!to || message.to === to) && (!from || message.from === from),
        );
        const filters: Record<string, string> = {};
        for (const name of ['To', 'From', 'DateSent', 'DateSent<', 'DateSent>']) {
          const value = one(query, name);
          if (value !== undefined) filters[name] = value;
        }
        return {
          status: 200,
          body: listPage({
            key: 'messages',
            records: records.map((message) => messageResource(message, accountSid)),
            path: `/${API_VERSION}/Accounts/${accountSid}/Messages.json`,
            filters,
            page: pageNumberOf(query),
            pageSize,
            nextPageToken: page.nextPageToken,
          }),
        };
      },
    },
    {
      method: 'get',
      path: '/Messages/:MessageSid.json',
      scope: 'messages:read',
      run: async ({ caller, accountSid, params, request }) => {
        const id = uuidOf('SM', params.MessageSid ?? '');
        if (!id) throw notFound(request);
        const { message } = await backends.as(caller, messaging, messaging.getMessage, { id });
        return { status: 200, body: messageResource(message, accountSid) };
      },
    },
  ];
}
