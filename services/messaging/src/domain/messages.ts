// The rules of an outbound message: what a send must carry, its statuses and how receipts end it. Pure.
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import type { FieldViolation } from '@parley/kit';
import { FINAL_STATUSES as FINAL_STATUS_LIST, type MessageStatus, type ReceiptState } from '../db/schema';
import { analyseSmsBody, smsBodyLengthViolation, type SmsBodyAnalysis } from './segments';

/** How long a message may wait to be sent when the request does not say (like the big providers' queues). */
export const DEFAULT_VALIDITY_SECONDS = 4 * 60 * 60;
export const MIN_VALIDITY_SECONDS = 60;
export const MAX_VALIDITY_SECONDS = 4 * 60 * 60;
export const MAX_MEDIA_URLS = 10;
const MAX_URL_LENGTH = 2000;

/** Statuses after which nothing changes any more. */
export const FINAL_STATUSES: ReadonlySet<MessageStatus> = new Set(FINAL_STATUS_LIST);
export const MESSAGE_STATUSES: readonly MessageStatus[] = [
  'queued',
  'sending',
  'sent',
  'delivered',
  'undelivered',
  'failed',
  'expired',
  'received',
];

export interface SendRequest {
  from: string;
  to: string;
  body: string;
  mediaUrls: string[];
  statusCallback: string;
  validityPeriodSeconds: number;
}

export interface ValidSend {
  from: string;
  to: string;
  body: string | null;
  mediaUrls: string[];
  statusCallback: string | null;
  validitySeconds: number;
  kind: 'sms' | 'mms';
  analysis: SmsBodyAnalysis;
  /** ISO 3166-1 alpha-2 of the recipient, when the number plan tells. */
  destinationCountry: string;
}

/** Checks a send request field by field; every violation is named. */
export function checkSend(request: SendRequest, violations: FieldViolation[]): ValidSend | undefined {
  const from = e164(request.from, 'from', violations);
  const to = e164(request.to, 'to', violations);
  const mediaUrls: string[] = [];
  if (request.mediaUrls.length > MAX_MEDIA_URLS) {
    violations.push({ field: 'mediaUrls', description: `at most ${MAX_MEDIA_URLS} URLs` });
  } else {
    request.mediaUrls.forEach((value, index) => {
      const url = webUrl(value);
      if (url) mediaUrls.push(url);
      else violations.push({ field: `mediaUrls[${index}]`, description: httpsDescription });
    });
  }
  if (request.body === '' && request.mediaUrls.length === 0) {
    violations.push({ field: 'body', description: 'a text of 1-1600 characters, or mediaUrls for an MMS' });
  } else if (request.body !== '') {
    const tooLong = smsBodyLengthViolation(request.body);
    if (tooLong) violations.push(tooLong);
  }
  let statusCallback: string | null = null;
  if (request.statusCallback !== '') {
    // http is accepted as Twilio accepts it (and for receivers on the developer's machine); the webhooks
    // module refuses internal addresses outside dev mode either way.
    statusCallback = webUrl(request.statusCallback, ['https:', 'http:']) ?? null;
    if (!statusCallback) violations.push({ field: 'statusCallback', description: callbackDescription });
  }
  const validitySeconds = request.validityPeriodSeconds || DEFAULT_VALIDITY_SECONDS;
  if (validitySeconds < MIN_VALIDITY_SECONDS || validitySeconds > MAX_VALIDITY_SECONDS) {
    violations.push({
      field: 'validityPeriod',
      description: `seconds, ${MIN_VALIDITY_SECONDS}-${MAX_VALIDITY_SECONDS}`,
    });
  }
  if (!from || !to || violations.length > 0) return undefined;
  return {
    from,
    to,
    body: request.body === '' ? null : request.body,
    mediaUrls,
    statusCallback,
    validitySeconds,
    kind: mediaUrls.length > 0 ? 'mms' : 'sms',
    analysis: analyseSmsBody(request.body),
    destinationCountry: countryOf(to),
  };
}

const httpsDescription = `an https URL of at most ${MAX_URL_LENGTH} characters`;
const callbackDescription = `an http(s) URL of at most ${MAX_URL_LENGTH} characters`;

/** The URL normalised when it is one of `protocols` with a host and short enough; else undefined. */
function webUrl(value: string, protocols: string[] = ['https:']): string | undefined {
  if (value.length > MAX_URL_LENGTH || !URL.canParse(value)) return undefined;
  const url = new URL(value);
  return protocols.includes(url.protocol) && url.hostname !== '' ? url.toString() : undefined;
}

function e164(value: string, field: string, violations: FieldViolation[]): string | undefined {
  const parsed = /^\+[1-9]\d{6,14}$/.test(value) ? parsePhoneNumberFromString(value) : undefined;
  if (!parsed?.isPossible()) {
    violations.push({ field, description: 'a phone number in E.164 form, e.g. +14155550123' });
    return undefined;
  }
  return parsed.number;
}

/**
 * Where a message stands once receipts came for some of its parts: delivered when every part was,
 * undelivered (or expired) as soon as one part was not, still sent otherwise.
 */
export function outcomeOfParts(parts: { state: ReceiptState | null; errorCode: string | null }[]): {
  status: 'sent' | 'delivered' | 'undelivered' | 'expired';
  errorCode: string | null;
} {
  const failed = parts.find((part) => part.state === 'undelivered' || part.state === 'expired');
  if (failed) return { status: failed.state as 'undelivered' | 'expired', errorCode: failed.errorCode };
  if (parts.length > 0 && parts.every((part) => part.state === 'delivered'))
    return { status: 'delivered', errorCode: null };
  return { status: 'sent', errorCode: null };
}

/** The time a UUIDv7 was made (its first 48 bits, milliseconds since the epoch). */
export function timeOfUuidV7(id: string): Date | undefined {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i.test(id)) return undefined;
  return new Date(parseInt(id.slice(0, 8) + id.slice(9, 13), 16));
}

/** ISO 3166-1 alpha-2 country of an E.164 number, empty when the number plan does not tell. */
export function countryOf(e164: string): string {
  return parsePhoneNumberFromString(e164)?.country ?? '';
}
