// Webhooks out: the rules of a delivery's life, without I/O (the worker is jobs/deliverWebhook.ts).
import type { WebhookFailure, WebhookPostResult } from '@parley/kit';

export type WebhookDeliveryStatus = 'pending' | 'delivered' | 'failed' | 'disabled';

/** Why the last attempt failed: the poster's classes, plus no secret to sign with and 410 Gone. */
export type WebhookFailureClass = WebhookFailure | 'no_secret' | 'gone';

/** How long and how often a failing delivery is retried (config WEBHOOK_RETRY_*). */
export interface RetryPolicy {
  /** Retries continue until this long after the delivery was queued (or retried by hand). */
  windowMs: number;
  /** The delay after the first failed attempt; it doubles after each further one. */
  baseDelayMs: number;
  /** No delay is longer than this. */
  maxDelayMs: number;
}

/** At most this many secrets sign at once (current ones and retired ones still in their overlap). */
export const MAX_SIGNING_SECRETS = 5;
/** How long a retired secret keeps signing unless the tenant says otherwise. */
export const DEFAULT_SECRET_OVERLAP_SECONDS = 24 * 60 * 60;
export const MAX_SECRET_OVERLAP_SECONDS = 7 * 24 * 60 * 60;

/**
 * When to try again after `attemptsMade` failed attempts: exponential backoff with jitter (a random
 * point in the upper half of the backed-off delay, so receivers coming back are not hit by every sender at
 * once), never past the end of the retry window, where one last attempt is made. Undefined once the window
 * has ended: the delivery is parked.
 */
export function nextAttemptAt(
  now: Date,
  attemptsMade: number,
  retryFrom: Date,
  policy: RetryPolicy,
  random: () => number = Math.random,
): Date | undefined {
  const deadline = retryFrom.getTime() + policy.windowMs;
  if (now.getTime() >= deadline) return undefined;
  const backedOff = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(attemptsMade - 1, 40));
  const delay = backedOff / 2 + (random() * backedOff) / 2;
  return new Date(Math.min(now.getTime() + delay, deadline));
}

/** What one attempt's result does to the delivery. */
export type AttemptOutcome =
  | { kind: 'delivered' }
  | { kind: 'gone' }
  | { kind: 'park'; error: WebhookFailureClass }
  | { kind: 'retry'; error: WebhookFailureClass };

export function outcomeOf(result: WebhookPostResult): AttemptOutcome {
  if (result.ok) return { kind: 'delivered' };
  if (result.status === 410) return { kind: 'gone' };
  const error = result.failure ?? 'http_status';
  // A URL that is refused stays refused: retrying for a day would only repeat the refusal.
  if (error === 'address_refused' || error === 'url_invalid') return { kind: 'park', error };
  return { kind: 'retry', error };
}

/** A secret signs while it is current or retired but not yet expired. */
export function isSigning(secret: { expiresAt: Date | null }, now: Date): boolean {
  return secret.expiresAt === null || secret.expiresAt > now;
}
