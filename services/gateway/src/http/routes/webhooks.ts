import { messagingV1 } from '@parley/proto';
import type { Backends } from '../../backends';
import { route } from '../route';
import { idParams, iso, nextPage, pageQuery, timestamp } from '../schemas';
import { z } from '../zod';

const Status = messagingV1.WebhookDeliveryStatus;
const statusNames = ['pending', 'delivered', 'failed', 'disabled'] as const;
type StatusName = (typeof statusNames)[number];
const statusValues: Record<StatusName, messagingV1.WebhookDeliveryStatus> = {
  pending: Status.WEBHOOK_DELIVERY_STATUS_PENDING,
  delivered: Status.WEBHOOK_DELIVERY_STATUS_DELIVERED,
  failed: Status.WEBHOOK_DELIVERY_STATUS_FAILED,
  disabled: Status.WEBHOOK_DELIVERY_STATUS_DISABLED,
};
const statusName = (value: messagingV1.WebhookDeliveryStatus): StatusName =>
  statusNames.find((name) => statusValues[name] === value) ?? 'pending';

const secretSchema = z
  .object({
    id: z.uuid(),
    createdAt: timestamp,
    retiredAt: timestamp.optional().openapi({ description: 'When it was retired; absent while current' }),
    expiresAt: timestamp
      .optional()
      .openapi({ description: 'When a retired secret stops signing (after its overlap)' }),
    signing: z.boolean().openapi({ description: 'Whether webhooks are signed with it now' }),
  })
  .openapi('WebhookSecret');

const secretJson = (secret: messagingV1.WebhookSecret | undefined) => ({
  id: secret!.id,
  createdAt: iso(secret!.createdAt)!,
  retiredAt: iso(secret!.retiredAt),
  expiresAt: iso(secret!.expiresAt),
  signing: secret!.signing,
});

const deliverySchema = z
  .object({
    id: z.uuid().openapi({ description: 'Also the `webhook-id` header of every attempt' }),
    url: z.string().openapi({ example: 'https://hooks.example.com/parley' }),
    type: z.string().openapi({ example: 'message.delivered' }),
    status: z.enum(statusNames),
    attempts: z.number().int(),
    lastStatusCode: z
      .number()
      .int()
      .optional()
      .openapi({ description: 'HTTP status of the last answer, if there was one', example: 503 }),
    lastError: z
      .enum([
        'http_status',
        'timeout',
        'connection',
        'dns',
        'tls',
        'redirect',
        'address_refused',
        'url_invalid',
        'no_secret',
        'gone',
      ])
      .optional()
      .openapi({ description: 'Why the last attempt failed; the answer body is never kept' }),
    nextAttemptAt: timestamp.optional(),
    createdAt: timestamp,
    deliveredAt: timestamp.optional(),
  })
  .openapi('WebhookDelivery');

type DeliveryJson = z.infer<typeof deliverySchema>;

const deliveryJson = (delivery: messagingV1.WebhookDelivery | undefined): DeliveryJson => ({
  id: delivery!.id,
  url: delivery!.url,
  type: delivery!.type,
  status: statusName(delivery!.status),
  attempts: delivery!.attempts,
  lastStatusCode: delivery!.lastStatusCode || undefined,
  lastError: (delivery!.lastError || undefined) as DeliveryJson['lastError'],
  nextAttemptAt: iso(delivery!.nextAttemptAt),
  createdAt: iso(delivery!.createdAt)!,
  deliveredAt: iso(delivery!.deliveredAt),
});

const signingDescription =
  'Webhooks follow the Standard Webhooks specification: `webhook-id`, `webhook-timestamp` and `webhook-signature` (`v1,` and the base64 HMAC-SHA256 of `id.timestamp.body` under each secret that signs, space-separated), so any `standardwebhooks` library verifies them with the `whsec_` secret.';

export function webhookRoutes(backends: Backends) {
  const { messaging } = backends;
  return [
    route({
      method: 'post',
      path: '/v1/webhook-secrets',
      operationId: 'createWebhookSecret',
      problems: ['WEBHOOK_SECRET_LIMIT'],
      summary: 'Create a webhook signing secret (shown once)',
      description: `${signingDescription} The secret is in this answer only (a retry with the same \`Idempotency-Key\` answers the same secret). Every secret that signs is used for every webhook, so create the new secret, move your receiver to it, then retire the old one. At most five sign at once.`,
      tags: ['Webhooks'],
      scope: 'webhooks:write',
      response: {
        status: 201,
        description: 'Created',
        schema: secretSchema
          .extend({
            secret: z.string().openapi({
              description: 'The secret, `whsec_` and base64. Shown once; store it now.',
              example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
            }),
          })
          .openapi('CreatedWebhookSecret'),
      },
      handler: async ({ caller }) => {
        const created = await backends.as(caller, messaging, messaging.createWebhookSecret, {});
        return { ...secretJson(created.secret), secret: created.value };
      },
    }),
    route({
      method: 'get',
      path: '/v1/webhook-secrets',
      operationId: 'listWebhookSecrets',
      summary: "The tenant's webhook signing secrets, newest first (never their values)",
      tags: ['Webhooks'],
      scope: 'webhooks:read',
      query: z.object({
        includeExpired: z
          .enum(['true', 'false'])
          .optional()
          .openapi({ description: 'Also list retired secrets that no longer sign' }),
      }),
      response: {
        status: 200,
        description: 'The secrets',
        schema: z.object({ secrets: z.array(secretSchema) }).openapi('WebhookSecretList'),
      },
      handler: async ({ caller, query }) => {
        const { secrets } = await backends.as(caller, messaging, messaging.listWebhookSecrets, {
          includeExpired: query.includeExpired === 'true',
        });
        return { secrets: secrets.map(secretJson) };
      },
    }),
    route({
      method: 'delete',
      path: '/v1/webhook-secrets/{id}',
      operationId: 'retireWebhookSecret',
      problems: ['WEBHOOK_REQUEST_INVALID', 'WEBHOOK_SECRET_NOT_FOUND', 'WEBHOOK_SECRET_LAST'],
      summary: 'Retire a webhook signing secret after an overlap',
      description:
        'The secret keeps signing for `overlapSeconds` (default 86400, 24 hours; 0 stops it at once, e.g. after a leak), so receivers can switch to the new secret without missing a webhook, then expires. The only current secret cannot be retired: create its successor first. Retiring a retired secret answers it unchanged.',
      tags: ['Webhooks'],
      scope: 'webhooks:write',
      params: idParams,
      query: z.object({
        overlapSeconds: z.coerce
          .number()
          .int()
          .min(0)
          .max(604_800)
          .optional()
          .openapi({ description: 'How long it keeps signing (0-604800 seconds, default 86400)' }),
      }),
      response: { status: 200, description: 'The retired secret', schema: secretSchema },
      handler: async ({ caller, params, query }) =>
        secretJson(
          (
            await backends.as(caller, messaging, messaging.retireWebhookSecret, {
              secretId: params.id,
              overlapSeconds: query.overlapSeconds,
            })
          ).secret,
        ),
    }),
    route({
      method: 'get',
      path: '/v1/webhook-deliveries',
      operationId: 'listWebhookDeliveries',
      problems: ['WEBHOOK_REQUEST_INVALID', 'PAGE_TOKEN_INVALID', 'PAGE_SIZE_INVALID'],
      summary: "The tenant's webhook deliveries, newest first",
      description:
        'A delivery is retried with exponential backoff and jitter for at least 24 hours, then parked as `failed`: list those with `status=failed` and send them again with `POST /v1/webhook-deliveries/{id}/retry`. An endpoint that answers 410 Gone gets nothing more (its deliveries are `disabled`) until one of them is retried.',
      tags: ['Webhooks'],
      scope: 'webhooks:read',
      query: pageQuery.extend({ status: z.enum(statusNames).optional() }),
      response: {
        status: 200,
        description: 'A page of deliveries',
        schema: z
          .object({ deliveries: z.array(deliverySchema), nextPageToken: nextPage })
          .openapi('WebhookDeliveryPage'),
      },
      handler: async ({ caller, query }) => {
        const page = await backends.as(caller, messaging, messaging.listWebhookDeliveries, {
          status: query.status ? statusValues[query.status] : Status.WEBHOOK_DELIVERY_STATUS_UNSPECIFIED,
          pageSize: query.pageSize ?? 0,
          pageToken: query.pageToken ?? '',
        });
        return { deliveries: page.deliveries.map(deliveryJson), nextPageToken: page.nextPageToken };
      },
    }),
    route({
      method: 'post',
      path: '/v1/webhook-deliveries/{id}/retry',
      operationId: 'retryWebhookDelivery',
      problems: ['WEBHOOK_DELIVERY_NOT_FOUND', 'WEBHOOK_DELIVERY_NOT_RETRYABLE'],
      summary: 'Send a failed or disabled webhook delivery again',
      description:
        'The delivery is attempted now, with a new retry window. Retrying a `disabled` delivery re-enables its endpoint. A `pending` delivery is answered unchanged; a `delivered` one is refused.',
      tags: ['Webhooks'],
      scope: 'webhooks:write',
      params: idParams,
      response: { status: 202, description: 'The delivery, pending', schema: deliverySchema },
      handler: async ({ caller, params }) =>
        deliveryJson(
          (await backends.as(caller, messaging, messaging.retryWebhookDelivery, { deliveryId: params.id }))
            .delivery,
        ),
    }),
  ];
}
