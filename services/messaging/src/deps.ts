import type {
  Database,
  Jobs,
  Logger,
  Outbox,
  SubjectHashKeys,
  Transaction,
  WebhookPostResult,
} from '@parley/kit';
import type { callbacksV1 } from '@parley/proto';
import type { CallRepository } from './db/calls';
import type { InboundPartRepository, OptOutRepository } from './db/inbound';
import type { MessageRepository } from './db/messages';
import type { SettingsRepository } from './db/settings';
import type { WebhookRepository } from './db/webhooks';
import type { Authorisation } from './domain/authorisation';
import type { CarrierPort } from './domain/carrier';
import type { SenderRates } from './domain/pacing';
import type { StatusCallbacks } from './domain/statusCallbacks';
import type { RetryPolicy } from './domain/webhooks';
import type { SendPriorities } from './domain/sendPriority';

/** A number as numbering resolves it (ResolveNumber): its tenant, capabilities and throughput class. */
export interface ResolvedNumber {
  tenantId: string;
  accountId: string;
  capabilities: string[];
  throughputClass: string;
  /** Where its inbound messages are forwarded as SMS, empty for nowhere. */
  forwardingTarget: string;
  /** Where its inbound messages are posted as webhooks, empty for nowhere. */
  messagingWebhookUrl: string;
  /** How they are posted: Twilio's format when the URL was set through the Twilio-compatible API. */
  messagingWebhookFormat?: callbacksV1.CallbackFormat;
}

/** identity's SignTwilioCallback: the X-Twilio-Signature of a callback to the tenant. */
export interface TwilioSigner {
  /** Undefined when the tenant has no auth token to sign with; throws when identity cannot be asked. */
  sign(tenantId: string, url: string, params: Record<string, string>): Promise<string | undefined>;
}

/** numbering's ResolveNumber, as messaging uses it (asked on behalf of `tenantId`): undefined when no tenant holds the number. */
export interface NumberDirectory {
  resolve(e164: string, tenantId: string): Promise<ResolvedNumber | undefined>;
}

/** The carrier's store of call recordings and voicemail. */
export interface CarrierMedia {
  /** Deletes the media; resolves when the carrier confirmed (or no longer has it), throws to be retried. */
  deleteRecording(carrierRecordingId: string): Promise<void>;
}

/** What messaging's handlers and jobs are made from (built once in app.ts). */
export interface MessagingDeps {
  db: Database;
  /** A tenant transaction that wakes the outbox relay after it commits. */
  withTenant<R>(tenantId: string, work: (tx: Transaction) => Promise<R>): Promise<R>;
  outbox: Outbox;
  jobs: Jobs;
  /** Per tenant, the last content-sweep window whose job this replica committed (jobs/retention.ts). */
  sweepsQueued: Map<string, number>;
  /** The priority of each new send job by its tenant's recent sending rate (domain/sendPriority.ts). */
  sendPriorities: SendPriorities;
  messages: MessageRepository;
  inboundParts: InboundPartRepository;
  optOuts: OptOutRepository;
  /** Call detail records and their recording references. */
  calls: CallRepository;
  /** Deletes a recording the carrier holds (CARRIER_API_URL and CARRIER_API_KEY); undefined without them. */
  carrierMedia?: CarrierMedia;
  /** MESSAGING_HELP_TEXT: the answer to HELP for a tenant that set no text of its own. */
  helpTextDefault: string;
  /**
   * Each tenant's retention, rate overrides and help text (`settings.helpTexts.of`: undefined when the
   * tenant set none, then `helpTextDefault` answers HELP and INFO).
   */
  settings: SettingsRepository;
  numbers: NumberDirectory;
  carrier: CarrierPort;
  authorisation: Authorisation;
  statusCallbacks: StatusCallbacks;
  /** Segments per second per sender number, by throughput class (SENDER_RATES; a tenant may override them). */
  rates: SenderRates;
  /** How long a send in doubt waits for its carrier receipts before it is submitted again (SMPP_IN_DOUBT_SECONDS). */
  inDoubtMs: number;
  webhooks: WebhookRepository;
  webhookPolicy: WebhookPolicy;
  /**
   * SUBJECT_HASH_KEY and its predecessors: find a recipient's restriction, an erased sender's tombstone and
   * the opt-out list's entries (services/kit/PRIVACY.md).
   */
  subjectHashKeys: SubjectHashKeys;
  /** Signs callbacks in Twilio's format (IDENTITY_ADDR); undefined without it. */
  twilioSigner?: TwilioSigner;
  /** Posts one signed webhook attempt (the kit's SSRF-safe poster, configured). */
  postWebhook(url: string, body: string, headers: Record<string, string>): Promise<WebhookPostResult>;
  now(): Date;
  log: Logger;
}

export interface WebhookPolicy {
  retry: RetryPolicy;
  /** Dev mode: webhook URLs may point at loopback and private addresses. */
  allowPrivate: boolean;
  /** How long a finished delivery is kept. */
  retentionMs: number;
}

export const QUEUES = {
  /** Hands one message to the carrier and records it sent (or failed, or expired). */
  send: 'messaging-send',
  /** Daily: creates the coming months' partitions and purges stale early receipts. */
  maintenance: 'messaging-maintenance',
  /** One attempt to deliver a webhook; a failed attempt schedules the next one itself. */
  deliverWebhook: 'messaging-deliver-webhook',
  /** Deletes a tenant's finished deliveries once they are older than the retention (one queued per tenant). */
  webhookRetention: 'messaging-webhook-retention',
  /** Empties a tenant's message content past its retention (stately, one per tenant and window). */
  contentRetention: 'messaging-content-retention',
  /** Daily, platform-wide: drops months of messages no tenant keeps, queues the tenants that keep less. */
  metadataRetention: 'messaging-metadata-retention',
  /** Deletes one tenant's messages past its metadata retention (one queued per tenant). */
  tenantMetadataRetention: 'messaging-tenant-metadata-retention',
  /** Asks the carrier to delete one recording's media (queued by an erasure, in its transaction). */
  deleteRecordingMedia: 'messaging-delete-recording-media',
} as const;

/** How often a tenant's finished deliveries are looked at for deletion. */
export const WEBHOOK_RETENTION_CHECK_MS = 24 * 60 * 60 * 1000;

/**
 * Retries of a send while the carrier is busy (throttling, queue full, no bind): backoff from one second
 * up to a minute, for longer than any validity period (the job expires the message once it is past it).
 */
export const SEND_RETRIES = {
  retryLimit: 400,
  retryDelaySeconds: 1,
  retryBackoff: true,
  retryDelayMaxSeconds: 60,
};

/** How every send job of a tenant is sent: its retries, and its tenant as its fairness group. */
export const sendJobOptions = (tenantId: string) => ({ tenantId, group: tenantId, ...SEND_RETRIES });

/**
 * How long a send job may stay active before another replica takes it back (its worker died: SIGKILL, OOM).
 * Longer than a submit can take (every part's response timeout and throttle pauses).
 */
export const SEND_EXPIRE_SECONDS = 30;
