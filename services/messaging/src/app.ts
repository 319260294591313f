import { locateAssets, postWebhook, ServiceRuntime, type App } from '@parley/kit';
import { messagingV1, protoFiles } from '@parley/proto';
import { version } from '../package.json';
import type { Config } from './config';
import { MessageRepository } from './db/messages';
import { WebhookRepository } from './db/webhooks';
import { QUEUES, type MessagingDeps } from './deps';
import {
  enqueueWebhook,
  makeDeliverWebhook,
  makeWebhookRetention,
  type WebhookToSend,
} from './jobs/deliverWebhook';
import { makeCreateWebhookSecret } from './rpc/createWebhookSecret';
import { makeListMessages } from './rpc/listMessages';
import { makeListWebhookDeliveries } from './rpc/listWebhookDeliveries';
import { makeListWebhookSecrets } from './rpc/listWebhookSecrets';
import { makeRetireWebhookSecret } from './rpc/retireWebhookSecret';
import { makeRetryWebhookDelivery } from './rpc/retryWebhookDelivery';
import type { Transaction } from '@parley/kit';

export interface MessagingApp extends App {
  runtime: ServiceRuntime;
  deps: MessagingDeps;
  /** Queues a webhook in the caller's tenant transaction (status callbacks, inbound messages). */
  enqueueWebhook(tx: Transaction, webhook: WebhookToSend): ReturnType<typeof enqueueWebhook>;
}

/** Composition root: builds the runtime, then the repositories, then the RPC handlers and job workers. */
export function buildApp(config: Config): MessagingApp {
  const runtime = new ServiceRuntime({
    service: 'messaging',
    version,
    env: config,
    assets: locateAssets(__dirname),
    protoFiles: [protoFiles.messaging],
  });
  const webhookPolicy = {
    allowPrivate: config.WEBHOOK_ALLOW_PRIVATE,
    retentionMs: config.WEBHOOK_RETENTION_DAYS * 86_400_000,
    retry: {
      windowMs: config.WEBHOOK_RETRY_HOURS * 3_600_000,
      baseDelayMs: config.WEBHOOK_RETRY_BASE_SECONDS * 1000,
      maxDelayMs: config.WEBHOOK_RETRY_MAX_SECONDS * 1000,
    },
  };
  const deps: MessagingDeps = {
    db: runtime.db,
    withTenant: (tenantId, work) => runtime.withTenant(tenantId, work),
    jobs: runtime.jobs,
    messages: new MessageRepository(runtime.db),
    webhooks: new WebhookRepository(runtime.db),
    webhookPolicy,
    postWebhook: (url, body, headers) =>
      postWebhook(url, body, headers, {
        allowPrivate: config.WEBHOOK_ALLOW_PRIVATE,
        timeoutMs: config.WEBHOOK_TIMEOUT_MS,
      }),
    now: () => new Date(),
  };
  const rpc = runtime.unary.bind(runtime);
  const read = { scope: 'webhooks:read' } as const;
  const write = { scope: 'webhooks:write' } as const;
  const implementation: messagingV1.MessagingServiceServer = {
    listMessages: rpc('ListMessages', makeListMessages(deps), { scope: 'messages:read' }),
    createWebhookSecret: rpc('CreateWebhookSecret', makeCreateWebhookSecret(deps), write),
    listWebhookSecrets: rpc('ListWebhookSecrets', makeListWebhookSecrets(deps), read),
    retireWebhookSecret: rpc('RetireWebhookSecret', makeRetireWebhookSecret(deps), write),
    listWebhookDeliveries: rpc('ListWebhookDeliveries', makeListWebhookDeliveries(deps), read),
    retryWebhookDelivery: rpc('RetryWebhookDelivery', makeRetryWebhookDelivery(deps), write),
  };
  return {
    runtime,
    deps,
    enqueueWebhook: (tx, webhook) => enqueueWebhook(deps, tx, webhook),
    start: async () => {
      await runtime.jobs.work(QUEUES.deliverWebhook, makeDeliverWebhook(deps), {
        concurrency: config.WEBHOOK_CONCURRENCY,
        pollingIntervalSeconds: 0.5,
        // A worker that died mid-attempt: its job comes back after this and the attempt is made again.
        expireInSeconds: Math.ceil(config.WEBHOOK_TIMEOUT_MS / 1000) + 30,
        // Retries of the job itself (its database was unreachable); a failed post schedules its own next
        // attempt instead of throwing.
        retryLimit: 20,
        retryDelaySeconds: 2,
        retryBackoff: true,
        retryDelayMaxSeconds: 300,
      });
      // One queued retention job per tenant ('stately': a running one can queue its successor).
      await runtime.jobs.work(QUEUES.webhookRetention, makeWebhookRetention(deps), {
        policy: 'stately',
        retryLimit: 10,
        retryBackoff: true,
      });
      await runtime.start({
        grpcServices: [
          {
            name: 'parley.messaging.v1.MessagingService',
            definition: messagingV1.MessagingServiceService,
            implementation,
          },
        ],
      });
    },
    stop: () => runtime.stop(),
    migrate: () => runtime.migrate(),
  };
}
