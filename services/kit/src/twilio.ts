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
