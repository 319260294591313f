import {
  call,
  createClient,
  ensurePartitions,
  locateAssets,
  postWebhook,
  ServiceRuntime,
  type App,
  type Transaction,
} from '@parley/kit';
import { identityV1, messagingV1, numberingV1, protoFiles } from '@parley/proto';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { version } from '../package.json';
import type { Config } from './config';
import { CallRepository } from './db/calls';
import { InboundPartRepository, OptOutRepository } from './db/inbound';
import { MessageRepository } from './db/messages';
import { SettingsRepository } from './db/settings';
import { PARTITIONED } from './db/schema';
import { WebhookRepository } from './db/webhooks';
import {
  QUEUES,
  SEND_EXPIRE_SECONDS,
  SEND_RETRIES,
  type MessagingDeps,
  type NumberDirectory,
  type TwilioSigner,
} from './deps';
import { allowEverySend } from './domain/authorisation';
import { billingAuthorisation } from './billingAuthorisation';
import { numberingUnavailable } from './domain/errors';
import type { StatusCallbacks } from './domain/statusCallbacks';
import { makeCallRecorder } from './carrier/calls';
import { startCdrEndpoint, type CdrEndpoint } from './carrier/cdrEndpoint';
import { makeInboundHandler } from './carrier/inbound';
import { carrierMediaApi } from './carrier/media';
import { makeReceiptHandler } from './carrier/receipts';
import { FailoverCarrier } from './carrier/failover';
import { SmppCarrier } from './carrier/smpp';
import type { CarrierPort } from './domain/carrier';
import {
  enqueueWebhook,
  makeDeliverWebhook,
  makeWebhookRetention,
  type WebhookToSend,
} from './jobs/deliverWebhook';
import { makeContentRetention, makeMetadataRetention, makeTenantMetadataRetention } from './jobs/retention';
import { makeSendMessageJob } from './jobs/sendMessage';
import { makeDeleteRecordingMedia } from './jobs/deleteRecordingMedia';
import { makeCreateWebhookSecret } from './rpc/createWebhookSecret';
import { makeGetCall } from './rpc/getCall';
import { makeGetMessage } from './rpc/getMessage';
import { makeListCalls } from './rpc/listCalls';
import { makeGetMessagingSettings } from './rpc/getMessagingSettings';
import { makeListMessages } from './rpc/listMessages';
import { makeListWebhookDeliveries } from './rpc/listWebhookDeliveries';
import { makeListWebhookSecrets } from './rpc/listWebhookSecrets';
import { makeRetireWebhookSecret } from './rpc/retireWebhookSecret';
import { makeRetryWebhookDelivery } from './rpc/retryWebhookDelivery';
import { makeSendMessage } from './rpc/sendMessage';
import { makeUpdateMessagingSettings } from './rpc/updateMessagingSettings';
import { messagingParticipant } from './privacy';
import { cachedNumberDirectory } from './numberDirectory';
import { SendPriorities } from './domain/sendPriority';

export interface MessagingApp extends App {
  runtime: ServiceRuntime;
  deps: MessagingDeps;
  /** The carrier's endpoint for call detail records once started (undefined without CARRIER_CALLBACK_SECRET). */
  cdrEndpoint(): CdrEndpoint | undefined;
  /** Queues a webhook in the caller's tenant transaction (status callbacks, inbound messages). */
  enqueueWebhook(tx: Transaction, webhook: WebhookToSend): ReturnType<typeof enqueueWebhook>;
}

/** Composition root: runtime, numbering client, carrier adapter, repositories, then handlers and jobs. */
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
  const numbering = createClient(numberingV1.NumberingServiceClient, config.NUMBERING_ADDR, {
    serviceName: 'parley.numbering.v1.NumberingService',
    idempotentMethods: ['ResolveNumber'],
  });
  const billing = config.BILLING_ADDR
    ? billingAuthorisation(config.BILLING_ADDR, (caller) => runtime.metadataFor(caller))
    : undefined;
  const authorisation = billing ?? allowEverySend;
  const numbers: NumberDirectory = cachedNumberDirectory({
    async resolve(e164, tenantId) {
      try {
        const found = await call(
          numbering,
          numbering.resolveNumber,
          { phoneNumber: e164 },
          {
            metadata: await runtime.metadataFor({
              tenantId,
              principal: 'service:messaging',
              scopes: ['internal'],
            }),
          },
        );
        return found;
      } catch (error) {
        if ((error as { code?: number }).code === GrpcStatus.NOT_FOUND) return undefined;
        throw numberingUnavailable(); // numbering down or answering otherwise: the caller retries
      }
    },
  });
  // Callbacks in Twilio's format are signed by identity, which keeps the tenants' auth tokens sealed.
  const identity = config.IDENTITY_ADDR
    ? createClient(identityV1.IdentityServiceClient, config.IDENTITY_ADDR, {
        serviceName: 'parley.identity.v1.IdentityService',
        idempotentMethods: ['SignTwilioCallback'],
      })
    : undefined;
  const twilioSigner: TwilioSigner | undefined = identity && {
    async sign(tenantId, url, params) {
      try {
        const { signature } = await call(
          identity,
          identity.signTwilioCallback,
          { url, params },
          {
            metadata: await runtime.metadataFor({
              tenantId,
              principal: 'service:messaging',
              scopes: ['internal'],
            }),
          },
        );
        return signature;
      } catch (error) {
        // No auth token yet: the delivery waits for one, as a Standard Webhooks one waits for a secret.
        if ((error as { code?: number }).code === GrpcStatus.FAILED_PRECONDITION) return undefined;
        throw error;
      }
    },
  };
  const route = (host: string, port: number, systemId: string, password: string, name: string) =>
    new SmppCarrier({
      host,
      port,
      systemId,
      password,
      window: config.SMPP_WINDOW,
      deliverConcurrency: config.SMPP_DELIVER_CONCURRENCY,
      enquireLinkSeconds: config.SMPP_ENQUIRE_LINK_SECONDS,
      responseTimeoutMs: config.SMPP_RESPONSE_TIMEOUT_MS,
      reconnectMinMs: config.SMPP_RECONNECT_MIN_MS,
      reconnectMaxMs: config.SMPP_RECONNECT_MAX_MS,
      log: runtime.log.child({ component: 'smpp', route: name }),
    });
  const primary = route(
    config.SMPP_HOST,
    config.SMPP_PORT,
    config.SMPP_SYSTEM_ID,
    config.SMPP_PASSWORD,
    'primary',
  );
  const carrier: CarrierPort = config.SMPP_FAILOVER_HOST
    ? new FailoverCarrier([
        primary,
        route(
          config.SMPP_FAILOVER_HOST,
          config.SMPP_FAILOVER_PORT!,
          config.SMPP_FAILOVER_SYSTEM_ID ?? config.SMPP_SYSTEM_ID,
          config.SMPP_FAILOVER_PASSWORD ?? config.SMPP_PASSWORD,
          'failover',
        ),
      ])
    : primary;
  // Status callbacks go out as signed webhooks, queued in the transaction of the status change.
  const statusCallbacks: StatusCallbacks = {
    enqueue: async (tx, callback) => {
      await enqueueWebhook(deps, tx, callback);
    },
  };
  const deps: MessagingDeps = {
    db: runtime.db,
    withTenant: (tenantId, work) => runtime.withTenant(tenantId, work),
    outbox: runtime.outbox,
    jobs: runtime.jobs,
    sweepsQueued: new Map(),
    sendPriorities: new SendPriorities(),
    messages: new MessageRepository(),
    inboundParts: new InboundPartRepository(),
    optOuts: new OptOutRepository(),
    calls: new CallRepository(),
    ...(config.CARRIER_API_URL && config.CARRIER_API_KEY
      ? { carrierMedia: carrierMediaApi({ url: config.CARRIER_API_URL, apiKey: config.CARRIER_API_KEY }) }
      : {}),
    helpTextDefault: config.MESSAGING_HELP_TEXT,
    settings: new SettingsRepository(),
    numbers,
    carrier,
    authorisation,
    statusCallbacks,
    rates: config.SENDER_RATES,
    inDoubtMs: config.SMPP_IN_DOUBT_SECONDS * 1000,
    webhooks: new WebhookRepository(runtime.db),
    webhookPolicy,
    subjectHashKeys: runtime.subjectHashKeys,
    ...(twilioSigner ? { twilioSigner } : {}),
    postWebhook: (url, body, headers) =>
      postWebhook(url, body, headers, {
        allowPrivate: config.WEBHOOK_ALLOW_PRIVATE,
        timeoutMs: config.WEBHOOK_TIMEOUT_MS,
      }),
    now: () => new Date(),
    log: runtime.log.child({ component: 'messaging' }),
  };
  carrier.onReceipt(makeReceiptHandler(deps));
  carrier.onInbound(makeInboundHandler(deps));
  const rpc = runtime.unary.bind(runtime);
  const read = { scope: 'webhooks:read' } as const;
  const write = { scope: 'webhooks:write' } as const;
  let cdrEndpoint: CdrEndpoint | undefined;
  const implementation: messagingV1.MessagingServiceServer = {
    listMessages: rpc('ListMessages', makeListMessages(deps), { scope: 'messages:read' }),
    sendMessage: rpc('SendMessage', makeSendMessage(deps), { scope: 'messages:write' }),
    getMessage: rpc('GetMessage', makeGetMessage(deps), { scope: 'messages:read' }),
    createWebhookSecret: rpc('CreateWebhookSecret', makeCreateWebhookSecret(deps), write),
    listWebhookSecrets: rpc('ListWebhookSecrets', makeListWebhookSecrets(deps), read),
    retireWebhookSecret: rpc('RetireWebhookSecret', makeRetireWebhookSecret(deps), write),
    listWebhookDeliveries: rpc('ListWebhookDeliveries', makeListWebhookDeliveries(deps), read),
    retryWebhookDelivery: rpc('RetryWebhookDelivery', makeRetryWebhookDelivery(deps), write),
    getMessagingSettings: rpc('GetMessagingSettings', makeGetMessagingSettings(deps), {
      scope: 'messages:read',
    }),
    updateMessagingSettings: rpc('UpdateMessagingSettings', makeUpdateMessagingSettings(deps), {
      scope: 'messaging:settings',
    }),
    listCalls: rpc('ListCalls', makeListCalls(deps), { scope: 'calls:read' }),
    getCall: rpc('GetCall', makeGetCall(deps), { scope: 'calls:read' }),
  };
  return {
    runtime,
    deps,
    cdrEndpoint: () => cdrEndpoint,
    enqueueWebhook: (tx, webhook) => enqueueWebhook(deps, tx, webhook),
    start: async () => {
      await runtime.jobs.work(QUEUES.send, makeSendMessageJob(deps), {
        ...SEND_RETRIES,
        concurrency: config.SEND_CONCURRENCY,
        busy: true,
        // Fairness: the jobs carry their tenant as their group (jobs/sendMessage.ts).
        groupConcurrency: config.SEND_TENANT_CONCURRENCY,
        pollingIntervalSeconds: 0.5,
        expireInSeconds: SEND_EXPIRE_SECONDS,
      });
      await runtime.jobs.work(QUEUES.maintenance, () => maintain(), { retryLimit: 5, retryBackoff: true });
      await runtime.jobs.schedule(QUEUES.maintenance, '17 3 * * *', { tz: 'UTC' });
      await runtime.jobs.work(QUEUES.deliverWebhook, makeDeliverWebhook(deps), {
        concurrency: config.WEBHOOK_CONCURRENCY,
        busy: true,
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
      // Retention (jobs/retention.ts): content per tenant as messages finish, metadata daily.
      const retention = { retryLimit: 10, retryBackoff: true } as const;
      await runtime.jobs.work(QUEUES.contentRetention, makeContentRetention(deps), {
        ...retention,
        policy: 'stately',
        pollingIntervalSeconds: 1,
      });
      await runtime.jobs.work(QUEUES.metadataRetention, makeMetadataRetention(deps, runtime.pool), retention);
      await runtime.jobs.schedule(QUEUES.metadataRetention, '41 3 * * *', { tz: 'UTC' });
      await runtime.jobs.work(QUEUES.tenantMetadataRetention, makeTenantMetadataRetention(deps), {
        ...retention,
        policy: 'stately',
      });
      // Erasures ask the carrier to delete recordings' media until it confirms.
      await runtime.jobs.work(QUEUES.deleteRecordingMedia, makeDeleteRecordingMedia(deps), {
        retryLimit: 20,
        retryBackoff: true,
        retryDelayMaxSeconds: 3600,
      });
      await runtime.start({
        grpcServices: [
          {
            name: 'parley.messaging.v1.MessagingService',
            definition: messagingV1.MessagingServiceService,
            implementation,
          },
        ],
        participant: messagingParticipant(deps),
      });
      await maintain();
      await carrier.start();
      if (config.CARRIER_CALLBACK_SECRET)
        cdrEndpoint = await startCdrEndpoint({
          host: config.GRPC_HOST,
          port: config.CARRIER_CALLBACK_PORT,
          secret: config.CARRIER_CALLBACK_SECRET,
          record: makeCallRecorder(deps),
          log: runtime.log.child({ component: 'cdrs' }),
        });
      else runtime.log.warn('CARRIER_CALLBACK_SECRET is not set: call detail records are not received');
    },
    // The runtime first: the send jobs in hand finish (their submits need the bind), then the bind goes.
    stop: async () => {
      await cdrEndpoint?.stop();
      await runtime.stop();
      await carrier.stop();
      numbering.close();
      identity?.close();
      billing?.close();
    },
    migrate: () => runtime.migrate(),
  };

  /**
   * This and the next three months' partitions exist (messages and calls); receipts that never found their
   * message, carrier ids of parts sent (and of calls recorded) more than 30 days ago, and inbound parts
   * older than a day (whole messages' duplicate checks, and parts whose siblings never came), go.
   */
  async function maintain() {
    for (const spec of Object.values(PARTITIONED)) await ensurePartitions(runtime.pool, spec, { ahead: 3 });
    await deps.messages.purgeEarlyReceipts(runtime.db, new Date(Date.now() - 24 * 3600 * 1000));
    await deps.messages.purgeCarrierParts(runtime.db);
    await deps.inboundParts.purge(runtime.db);
    await deps.calls.purgeCarrierCalls(runtime.db);
  }
}
