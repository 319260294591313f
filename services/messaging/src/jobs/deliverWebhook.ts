import { createHash, randomUUID } from 'node:crypto';
import { signWebhook, webhookUrlProblem, type JobContext, type Transaction } from '@parley/kit';
import type { CallbackFormat, WebhookDeliveryRow, WebhookPayload } from '../db/schema';
import { QUEUES, WEBHOOK_RETENTION_CHECK_MS, type MessagingDeps } from '../deps';
import { webhookUrlInvalid } from '../domain/errors';
import { twilioCallbackParams } from '../domain/twilioCallbacks';
import { nextAttemptAt, outcomeOf, type AttemptOutcome } from '../domain/webhooks';

/**
 * Webhooks out. `enqueueWebhook` records a delivery and sends the job of its first attempt in the caller's
 * transaction, so the send path never waits for a receiver and a delivery exists if and only if the change
 * that caused it committed. Each attempt is one job: it signs with every secret still signing, posts through
 * the SSRF-safe poster, and records the outcome together with the job of the next attempt (backoff with
 * jitter until the retry window ends, then parked as failed). A worker killed mid-attempt leaves its job
 * active; pg-boss gives it back after its expiry and the attempt is made again (receivers deduplicate on
 * webhook-id, which stays the same).
 */

export interface WebhookToSend {
  tenantId: string;
  url: string;
  /** The event type, e.g. `message.delivered`. */
  type: string;
  data: Record<string, unknown>;
  /** When the event happened (default now). */
  occurredAt?: Date;
  /** How it is posted (default Standard Webhooks); the payload is kept in Parley's shape either way. */
  format?: CallbackFormat;
}

interface AttemptJob {
  deliveryId: string;
  /** Attempts made before this one. */
  attempt: number;
}

type EnqueueDeps = Pick<MessagingDeps, 'jobs' | 'webhooks' | 'webhookPolicy' | 'now'>;

/** Queues a webhook in `tx` (a transaction of `input.tenantId`); refuses a URL that can never be posted to. */
export async function enqueueWebhook(
  deps: EnqueueDeps,
  tx: Transaction,
  input: WebhookToSend,
): Promise<WebhookDeliveryRow> {
  const problem = webhookUrlProblem(input.url, deps.webhookPolicy);
  if (problem) throw webhookUrlInvalid(problem);
  const now = deps.now();
  const payload: WebhookPayload = {
    type: input.type,
    timestamp: (input.occurredAt ?? now).toISOString(),
    data: input.data,
  };
  const disabled = await deps.webhooks.isDisabled(tx, input.url);
  const row = await deps.webhooks.insertDelivery(tx, {
    id: randomUUID(),
    tenantId: input.tenantId,
    url: input.url,
    type: input.type,
    payload,
    format: input.format ?? 'standard_webhooks',
    status: disabled ? 'disabled' : 'pending',
    lastError: disabled ? 'gone' : null,
    retryFrom: now,
    nextAttemptAt: disabled ? null : now,
    createdAt: now,
  });
  if (!disabled) await scheduleAttempt(deps, tx, row, now);
  await scheduleRetention(deps, tx, input.tenantId, now);
  return row;
}

/** Makes sure the tenant's retention job is queued (the queue keeps one queued per tenant: sends beyond it create nothing). */
async function scheduleRetention(
  deps: Pick<MessagingDeps, 'jobs'>,
  tx: Transaction,
  tenantId: string,
  now: Date,
) {
  await deps.jobs.send(
    QUEUES.webhookRetention,
    {},
    {
      tx,
      tenantId,
      singletonKey: tenantId,
      startAfter: new Date(now.getTime() + WEBHOOK_RETENTION_CHECK_MS),
    },
  );
}

/**
 * Deletes the tenant's finished deliveries (with their payloads, which may carry personal data) once they
 * are older than WEBHOOK_RETENTION_DAYS, and comes back a day later while the tenant has any left.
 */
export function makeWebhookRetention(
  deps: Pick<MessagingDeps, 'withTenant' | 'jobs' | 'webhooks' | 'webhookPolicy' | 'now'>,
) {
  return async (job: JobContext<Record<string, never>>): Promise<void> => {
    const tenantId = job.tenantId!;
    const now = deps.now();
    const deleted = await deps.withTenant(tenantId, async (tx) => {
      const count = await deps.webhooks.deleteFinishedBefore(
        tx,
        new Date(now.getTime() - deps.webhookPolicy.retentionMs),
      );
      if (await deps.webhooks.hasDeliveries(tx)) await scheduleRetention(deps, tx, tenantId, now);
      return count;
    });
    job.log.info({ deleted }, 'webhook deliveries past their retention deleted');
  };
}

/** Sends the job of the delivery's next attempt in `tx`, once per attempt and retry round. */
export async function scheduleAttempt(
  deps: Pick<MessagingDeps, 'jobs'>,
  tx: Transaction,
  row: Pick<WebhookDeliveryRow, 'id' | 'tenantId' | 'attempts' | 'retryFrom'>,
  at: Date,
): Promise<void> {
  await deps.jobs.send<AttemptJob>(
    QUEUES.deliverWebhook,
    { deliveryId: row.id, attempt: row.attempts },
    {
      tx,
      tenantId: row.tenantId,
      startAfter: at,
      id: attemptJobId(row.id, row.attempts, row.retryFrom),
    },
  );
}

/** A UUID named by the delivery, the attempt and the retry round, so a repeated send creates nothing. */
function attemptJobId(deliveryId: string, attempt: number, retryFrom: Date): string {
  const hex = createHash('sha256')
    .update(`${deliveryId}/${attempt}/${retryFrom.toISOString()}`)
    .digest('hex');
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** The body exactly as Standard Webhooks' examples order it: type, timestamp, data. */
function bodyOf(payload: WebhookPayload): string {
  return JSON.stringify({ type: payload.type, timestamp: payload.timestamp, data: payload.data });
}

/**
 * The body and headers of one attempt, or undefined when there is nothing to sign with (no webhook secret;
 * for Twilio's format, no auth token or no identity to sign). Standard Webhooks: the JSON body signed with
 * every secret still signing. Twilio's format: the parameters form-encoded, `X-Twilio-Signature` from
 * identity (the tenant's newest auth token), and `I-Twilio-Idempotency-Token` the delivery id, the same on
 * every attempt, as Twilio sends it for receivers to deduplicate.
 */
async function attemptRequest(
  deps: Pick<MessagingDeps, 'twilioSigner' | 'now'>,
  row: WebhookDeliveryRow,
  secrets: string[],
): Promise<{ body: string; headers: Record<string, string> } | undefined> {
  if (row.format === 'twilio') {
    const params = twilioCallbackParams(row.tenantId, row.payload);
    const signature = await deps.twilioSigner?.sign(row.tenantId, row.url, params);
    if (!signature) return undefined;
    return {
      body: new URLSearchParams(params).toString(),
      headers: {
        'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
        'x-twilio-signature': signature,
        'i-twilio-idempotency-token': row.id,
      },
    };
  }
  if (secrets.length === 0) return undefined;
  const body = bodyOf(row.payload);
  return { body, headers: signWebhook({ id: row.id, timestamp: deps.now(), body }, secrets) };
}

export function makeDeliverWebhook(
  deps: Pick<
    MessagingDeps,
    'withTenant' | 'jobs' | 'webhooks' | 'webhookPolicy' | 'postWebhook' | 'twilioSigner' | 'now'
  >,
) {
  return async (job: JobContext<AttemptJob>): Promise<void> => {
    const tenantId = job.tenantId!;
    const { deliveryId, attempt } = job.data;
    const current = (row: WebhookDeliveryRow | undefined): row is WebhookDeliveryRow =>
      row !== undefined && row.status === 'pending' && row.attempts === attempt;

    const prepared = await deps.withTenant(tenantId, async (tx) => {
      const row = await deps.webhooks.findDelivery(tx, deliveryId);
      // Already decided, or an attempt made by an earlier job of this delivery: nothing to do.
      if (!current(row)) return undefined;
      if (await deps.webhooks.isDisabled(tx, row.url)) {
        await deps.webhooks.updateDelivery(tx, row.id, {
          status: 'disabled',
          lastError: 'gone',
          nextAttemptAt: null,
        });
        return undefined;
      }
      const secrets = (await deps.webhooks.secrets(tx, deps.now())).map((secret) => secret.secret);
      return { row, secrets };
    });
    if (!prepared) return;

    let outcome: AttemptOutcome;
    let status: number | undefined;
    const request = await attemptRequest(deps, prepared.row, prepared.secrets);
    if (!request) {
      outcome = { kind: 'retry', error: 'no_secret' };
    } else {
      const result = await deps.postWebhook(prepared.row.url, request.body, request.headers);
      outcome = outcomeOf(result);
      status = result.status;
    }
    job.log.info({ deliveryId, attempt: attempt + 1, outcome: outcome.kind, status }, 'webhook attempt');

    await deps.withTenant(tenantId, async (tx) => {
      const row = await deps.webhooks.findDelivery(tx, deliveryId, true);
      if (!current(row)) return;
      const now = deps.now();
      const made = { attempts: attempt + 1, lastStatusCode: status ?? null };
      switch (outcome.kind) {
        case 'delivered':
          await deps.webhooks.updateDelivery(tx, row.id, {
            ...made,
            status: 'delivered',
            lastError: null,
            deliveredAt: now,
            nextAttemptAt: null,
          });
          return;
        case 'gone':
          await deps.webhooks.disable(tx, tenantId, row.url);
          await deps.webhooks.updateDelivery(tx, row.id, {
            ...made,
            status: 'disabled',
            lastError: 'gone',
            nextAttemptAt: null,
          });
          return;
        case 'park':
          await deps.webhooks.updateDelivery(tx, row.id, {
            ...made,
            status: 'failed',
            lastError: outcome.error,
            nextAttemptAt: null,
          });
          return;
        case 'retry': {
          const next = nextAttemptAt(now, made.attempts, row.retryFrom, deps.webhookPolicy.retry);
          const updated = await deps.webhooks.updateDelivery(tx, row.id, {
            ...made,
            status: next ? 'pending' : 'failed',
            lastError: outcome.error,
            nextAttemptAt: next ?? null,
          });
          if (next) await scheduleAttempt(deps, tx, updated, next);
        }
      }
    });
  };
}
