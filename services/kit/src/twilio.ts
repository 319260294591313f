import { createHash, createHmac } from 'node:crypto';
import { parsePhoneNumberFromString } from 'libphonenumber-js';

// What more than one service needs of the Twilio-compatible API: identity issues Account SIDs and keeps the
// auth tokens, messaging sends callbacks in Twilio's format, the gateway answers in Twilio's resources.

/**
 * A tenant's Account SID: `AC` and 32 hex digits derived from its id. Stable, needing no storage, and (like
 * Twilio's) an identifier, not a secret; any service can name a tenant's account without asking identity.
 */
export function twilioAccountSid(tenantId: string): string {
  return `AC${createHash('sha256').update(`parley-twilio-account\n${tenantId}`).digest('hex').slice(0, 32)}`;
}

/**
 * `X-Twilio-Signature` of a request Twilio sends to an application (Twilio's "Secure webhooks"): HMAC-SHA1,
 * keyed with the account's auth token, over the full URL followed by every POST parameter's name and value,
 * sorted by name, without separators; base64. The official libraries' `validateRequest` checks it.
 */
export function twilioSignature(
  authToken: string,
  url: string,
  params: Readonly<Record<string, string>>,
): string {
  const names = Object.keys(params).sort();
  const signed = names.reduce((text, name) => text + name + params[name], url);
  return createHmac('sha1', authToken).update(signed, 'utf8').digest('base64');
}

/**
 * A number the way Twilio's `*_formatted` fields show it: national format for a North American number
 * (`(415) 555-0123`), international format otherwise; an address that is no number as it is.
 */
export function twilioFormattedNumber(e164: string): string {
  const parsed = parsePhoneNumberFromString(e164);
  if (!parsed) return e164;
  return parsed.countryCallingCode === '1' ? parsed.formatNational() : parsed.formatInternational();
}

/** The API version Twilio's resources and callbacks name. */
export const TWILIO_API_VERSION = '2010-04-01';

/**
 * A Parley UUID as a Twilio SID: the two-letter prefix of its kind and the UUID's 32 hex digits (`SM`
 * messages, `PN` numbers, `SK` API keys, `CA` call records). No table maps them: one is computed from the
 * other.
 */
export type TwilioSidPrefix = 'SM' | 'PN' | 'SK' | 'CA';

export function twilioSid(prefix: TwilioSidPrefix, uuid: string): string {
  return `${prefix}${uuid.replace(/-/g, '').toLowerCase()}`;
}

/** Parley's message statuses in Twilio's words: an expired message failed (30001, queue overflow). */
const twilioStatusOf: Record<string, string> = {
  queued: 'queued',
  sending: 'sending',
  sent: 'sent',
  delivered: 'delivered',
  undelivered: 'undelivered',
  failed: 'failed',
  expired: 'failed',
  received: 'received',
};

export function twilioMessageStatus(status: string): string {
  return twilioStatusOf[status] ?? status;
}

/**
 * Twilio's error code for why a message was not delivered: the opt-out (21610), the validity period
 * (30001), a carrier refusal on submit (30007 would be filtering; Parley cannot tell, so 30008 unknown), a
 * receipt saying undeliverable (30003 unreachable) or anything else (30008). Null when nothing went wrong.
 */
export function twilioMessageError(
  status: string,
  errorCode: string | null | undefined,
): { code: number; text: string } | null {
  if (!errorCode) return status === 'expired' ? { code: 30001, text: 'Queue overflow' } : null;
  if (errorCode === 'RECIPIENT_OPTED_OUT')
    return { code: 21610, text: 'Attempt to send to unsubscribed recipient' };
  if (errorCode === 'VALIDITY_PERIOD_PASSED' || errorCode === 'EXPIRED' || status === 'expired')
    return { code: 30001, text: 'Queue overflow' };
  if (errorCode.startsWith('UNDELIV')) return { code: 30003, text: 'Unreachable destination handset' };
  return { code: 30008, text: 'Unknown error' };
}
