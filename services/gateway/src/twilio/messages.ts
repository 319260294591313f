import { callbacksV1, messagingV1 } from '@parley/proto';
import type { Backends } from '../backends';
import { notFound, TwilioError } from './errors';
import { API_VERSION, listPage, messageResource } from './format';
import {
  dateRange,
  filtersOf,
  many,
  one,
  pageNumberOf,
  pageSizeOf,
  refuseUnoffered,
  type TwilioOperation,
} from './operation';
import { uuidOf } from './sids';

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
          // Posted as Twilio posts it: form-encoded, with X-Twilio-Signature.
          callbackFormat: callbacksV1.CallbackFormat.CALLBACK_FORMAT_TWILIO,
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
        const sent = dateRange(query, 'DateSent');
        const page = await backends.as(caller, messaging, messaging.listMessages, {
          pageSize,
          pageToken: one(query, 'PageToken') ?? '',
          phoneNumber: to ?? from ?? '',
          direction: messagingV1.Direction.DIRECTION_UNSPECIFIED,
          status: '',
          ...(sent.after ? { createdAfter: sent.after } : {}),
          ...(sent.before ? { createdBefore: sent.before } : {}),
        });
        // Parley filters by a number at either end; Twilio's To and From name one end each.
        const records = page.messages.filter(
          (message) => (!to || message.to === to) && (!from || message.from === from),
        );
        const filters = filtersOf(query, ['To', 'From', 'DateSent', 'DateSent<', 'DateSent>']);
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
