import {
  TWILIO_API_VERSION,
  twilioFormattedNumber,
  twilioMessageError,
  twilioMessageStatus,
} from '@parley/kit';
import { messagingV1, type numberingV1 } from '@parley/proto';
import { sidOf } from './sids';

export const API_VERSION = TWILIO_API_VERSION;

/** Twilio's dates: RFC 2822 in UTC (`Tue, 01 Dec 2026 15:07:10 +0000`). */
export function rfc2822(date: Date | undefined): string | null {
  return date ? date.toUTCString().replace(/GMT$/, '+0000') : null;
}

const sentStatuses = new Set(['sent', 'delivered', 'undelivered']);

/** A message as Twilio's Message resource. */
export function messageResource(message: messagingV1.MessageRecord | undefined, accountSid: string) {
  if (!message) throw new Error('service answered without a message');
  const sid = sidOf('SM', message.id);
  const uri = `/${API_VERSION}/Accounts/${accountSid}/Messages/${sid}`;
  const error = twilioMessageError(message.status, message.errorCode);
  const inbound = message.direction === messagingV1.Direction.DIRECTION_INBOUND;
  return {
    account_sid: accountSid,
    api_version: API_VERSION,
    body: message.body,
    date_created: rfc2822(message.createdAt),
    date_sent: sentStatuses.has(message.status) || inbound ? rfc2822(message.updatedAt) : null,
    date_updated: rfc2822(message.updatedAt),
    direction: inbound ? 'inbound' : 'outbound-api',
    error_code: error?.code ?? null,
    error_message: error?.text ?? null,
    from: message.from,
    messaging_service_sid: null,
    num_media: String(message.mediaUrls.length),
    num_segments: String(message.segments),
    // Parley rates usage in billing, per invoice line; the message does not carry a price.
    price: null,
    price_unit: null,
    sid,
    status: twilioMessageStatus(message.status),
    subresource_uris: { media: `${uri}/Media.json` },
    to: message.to,
    uri: `${uri}.json`,
  };
}

/** A number of the tenant as Twilio's IncomingPhoneNumber resource. */
export function incomingNumberResource(number: numberingV1.PhoneNumber | undefined, accountSid: string) {
  if (!number) throw new Error('service answered without a number');
  const sid = sidOf('PN', number.id);
  const has = (capability: string) => number.capabilities.includes(capability);
  return {
    account_sid: accountSid,
    address_requirements: 'none',
    api_version: API_VERSION,
    beta: false,
    capabilities: { voice: has('voice'), sms: has('sms'), mms: has('mms'), fax: false },
    date_created: rfc2822(number.assignedAt),
    date_updated: rfc2822(number.assignedAt),
    friendly_name: number.friendlyName || number.e164,
    origin: 'parley',
    phone_number: number.e164,
    sid,
    sms_method: 'POST',
    sms_url: number.messagingWebhookUrl,
    status: number.status === 'active' ? 'in-use' : number.status,
    voice_method: 'POST',
    voice_url: number.voiceWebhookUrl,
    uri: `/${API_VERSION}/Accounts/${accountSid}/IncomingPhoneNumbers/${sid}.json`,
  };
}

/** A number found by a search, as Twilio's AvailablePhoneNumber resource (capabilities in capitals there). */
export function availableNumberResource(number: numberingV1.AvailableNumber) {
  const has = (capability: string) => number.capabilities.includes(capability);
  return {
    address_requirements: 'none',
    beta: false,
    capabilities: { voice: has('voice'), SMS: has('sms'), MMS: has('mms'), fax: false },
    friendly_name: number.phoneNumber,
    iso_country: number.country,
    lata: null,
    latitude: null,
    locality: number.locality || null,
    longitude: null,
    phone_number: number.phoneNumber,
    postal_code: null,
    rate_center: null,
    region: number.region || null,
  };
}

/**
 * A page of a Twilio list: the records under their plural key and the paging fields the libraries read.
 * `next_page_uri` carries Parley's page token, so following it continues where this page ended.
 */
export function listPage<T>(input: {
  key: string;
  records: T[];
  path: string;
  filters: Record<string, string>;
  page: number;
  pageSize: number;
  nextPageToken: string;
}) {
  const uriOf = (extra: Record<string, string>) =>
    `${input.path}?${new URLSearchParams({ ...input.filters, PageSize: String(input.pageSize), ...extra }).toString()}`;
  const start = input.page * input.pageSize;
  return {
    [input.key]: input.records,
    end: start + Math.max(input.records.length - 1, 0),
    first_page_uri: uriOf({ Page: '0' }),
    next_page_uri: input.nextPageToken
      ? uriOf({ Page: String(input.page + 1), PageToken: input.nextPageToken })
      : null,
    page: input.page,
    page_size: input.pageSize,
    previous_page_uri: null,
    start,
    uri: uriOf({ Page: String(input.page) }),
  };
}

/** Parley's call dispositions in Twilio's call statuses (Parley keeps records of ended calls only). */
export const twilioCallStatus: Record<string, string> = {
  answered: 'completed',
  busy: 'busy',
  no_answer: 'no-answer',
  failed: 'failed',
};

/**
 * A call record as Twilio's Call resource. Parley's record is one leg: an inbound call to a tenant's number
 * (forwarded or not) is `inbound`, a call from one is `outbound-api`; the forwarding target and the caller
 * IDs are in the native `/v1/calls` record, which Twilio's resource has no fields for (its
 * `forwarded_from` is the number a call was forwarded from before reaching the account, which the carrier
 * does not report).
 */
export function callResource(call: messagingV1.CallRecord | undefined, accountSid: string) {
  if (!call) throw new Error('service answered without a call');
  const sid = sidOf('CA', call.id);
  const uri = `/${API_VERSION}/Accounts/${accountSid}/Calls/${sid}`;
  return {
    account_sid: accountSid,
    annotation: null,
    answered_by: null,
    api_version: API_VERSION,
    caller_name: null,
    date_created: rfc2822(call.endedAt),
    date_updated: rfc2822(call.endedAt),
    direction: call.direction === messagingV1.Direction.DIRECTION_INBOUND ? 'inbound' : 'outbound-api',
    duration: String(call.durationSeconds),
    end_time: rfc2822(call.endedAt),
    forwarded_from: null,
    from: call.from,
    from_formatted: twilioFormattedNumber(call.from),
    group_sid: null,
    parent_call_sid: null,
    phone_number_sid: null,
    // Parley rates usage in billing, per invoice line; the record does not carry a price.
    price: null,
    price_unit: null,
    queue_time: '0',
    sid,
    start_time: rfc2822(call.startedAt),
    status: twilioCallStatus[call.disposition] ?? call.disposition,
    subresource_uris: { recordings: `${uri}/Recordings.json` },
    to: call.to,
    to_formatted: twilioFormattedNumber(call.to),
    trunk_sid: null,
    uri: `${uri}.json`,
  };
}
