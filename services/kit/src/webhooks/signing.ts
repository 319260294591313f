import { createHmac, randomBytes } from 'node:crypto';

/**
 * Webhook signing as the Standard Webhooks specification defines it (https://www.standardwebhooks.com):
 * the sender signs `<webhook-id>.<webhook-timestamp>.<body>` with HMAC-SHA256 under each of its current
 * secrets and sends `v1,<base64 signature>` for each, space-separated, in `webhook-signature`. Receivers
 * verify with the `standardwebhooks` libraries (any language) and accept the message when one matches, so
 * during a secret rotation the old and the new secret both verify.
 */

/** The prefix of a Standard Webhooks symmetric secret; the rest is the key, base64. */
export const WEBHOOK_SECRET_PREFIX = 'whsec_';

/** Key length of secrets made here; the specification allows 24 to 64 bytes. */
const SECRET_BYTES = 32;
const MIN_SECRET_BYTES = 24;
const MAX_SECRET_BYTES = 64;

/** A new random secret, `whsec_` and 32 random bytes in base64. */
export function generateWebhookSecret(): string {
  return WEBHOOK_SECRET_PREFIX + randomBytes(SECRET_BYTES).toString('base64');
}

/** The key bytes of a `whsec_` secret; throws when it is not one (the message never contains the secret). */
export function webhookSecretKey(secret: string): Buffer {
  if (!secret.startsWith(WEBHOOK_SECRET_PREFIX)) throw new Error('a webhook secret starts with whsec_');
  const encoded = secret.slice(WEBHOOK_SECRET_PREFIX.length);
  const key = Buffer.from(encoded, 'base64');
  if (
    !/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) ||
    key.length < MIN_SECRET_BYTES ||
    key.length > MAX_SECRET_BYTES
  )
    throw new Error(`a webhook secret is whsec_ and ${MIN_SECRET_BYTES}-${MAX_SECRET_BYTES} bytes in base64`);
  return key;
}

export interface WebhookMessage {
  /** The message id, the same on every attempt to deliver it (receivers deduplicate on it). */
  id: string;
  /** When this attempt was signed; receivers refuse a timestamp more than a few minutes off. */
  timestamp: Date;
  /** The exact bytes sent as the request body. */
  body: string;
}

/** The three Standard Webhooks headers for one attempt, signed with every secret given (at least one). */
export function signWebhook(message: WebhookMessage, secrets: readonly string[]): Record<string, string> {
  if (secrets.length === 0) throw new Error('signing a webhook needs at least one secret');
  const seconds = Math.floor(message.timestamp.getTime() / 1000);
  const content = `${message.id}.${seconds}.${message.body}`;
  const signatures = secrets.map(
    (secret) => 'v1,' + createHmac('sha256', webhookSecretKey(secret)).update(content).digest('base64'),
  );
  return {
    'webhook-id': message.id,
    'webhook-timestamp': String(seconds),
    'webhook-signature': signatures.join(' '),
  };
}
