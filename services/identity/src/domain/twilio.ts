// Credentials of the Twilio-compatible API. A tenant's Account SID is `AC` and 32 hex digits derived from
// its id (kit twilioAccountSid, so every service names a tenant's account the same way): stable, needing no
// storage, and (like Twilio's) an identifier, not a secret. The auth token is 32 random hex digits; it also
// signs the callbacks sent to the tenant, so it is stored sealed (kit Sealer, key derived from
// API_KEY_PEPPER for this purpose), never hashed.
import { randomBytes, timingSafeEqual } from 'node:crypto';

export { twilioAccountSid } from '@parley/kit';

export function isTwilioAccountSid(value: string): boolean {
  return /^AC[0-9a-f]{32}$/.test(value);
}

export function generateTwilioAuthToken(): string {
  return randomBytes(16).toString('hex');
}

/** How long the previous auth token keeps working after a rotation, so callers can switch over. */
export const TWILIO_TOKEN_OVERLAP_MS = 24 * 60 * 60 * 1000;

/** The sealing purpose of auth tokens (HKDF info), distinct from every other use of the pepper. */
export const TWILIO_TOKEN_SEALING_PURPOSE = 'parley-twilio-auth-token';

/** Constant-time comparison of a presented token with a stored one. */
export function tokensMatch(presented: string, stored: string): boolean {
  const a = Buffer.from(presented, 'utf8');
  const b = Buffer.from(stored, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}
