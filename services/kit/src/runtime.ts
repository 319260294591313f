import type pg from 'pg';
import type { NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { ServiceEnv } from './config';
import { createLogger, type Logger } from './logging';
import { BroadcastListener, type BroadcastHandler } from './events/broadcast';
import { createDatabase, createPool, type Database, type Transaction } from './db/database';
import { migrate } from './db/migrate';
import type { ServiceAssets } from './assets';
import { connectNats, ensureStream, Naming, type StreamSettings } from './events/streams';
import { Outbox, OutboxRelay } from './events/outbox';
import { InboxConsumer, type EventHandler, type InboxSettings } from './events/inbox';
import {
  discardDeadLetter,
  runEventHousekeeping,
  listDeadLetters,
  replayDeadLetter,
} from './events/deadLetters';
import {
  serverStream,
  startGrpcServer,
  unary,
  type GrpcServer,
  type GrpcServiceRegistration,
  type RpcContext,
  type RpcOptions,
} from './grpc/server';
import { InternalTokens } from './auth/internalToken';
import { Jobs, type JobsTuning } from './jobs/jobs';
import { participantService, participantTaskHandler, type PrivacyParticipant } from './privacy/participant';
import type { SubjectHashKeys } from './privacy/subjects';
import { kitV1, participantV1, protoFiles } from '@parley/proto';

import { callerMetadata, type Caller } from './grpc/caller';
import { within } from './within';
import type { Metadata } from '@grpc/grpc-js';

/** The kit's own job: event housekeeping, at minute 7 of every hour. */
const EVENT_HOUSEKEEPING_QUEUE = 'kit-event-housekeeping';
const EVENT_HOUSEKEEPING_CRON = '7 * * * *';
/** What a shutdown step gets beyond SHUTDOWN_TIMEOUT_MS before it is given up. */
const STOP_STEP_SLACK_MS = 1_000;

export interface RuntimeOptions {
  service: string;
  version: string;
  env: ServiceEnv;
  assets: ServiceAssets;
  /** Proto files (relative to the proto directory) this service serves, for reflection. */
  protoFiles: string[];
  log?: Logger;
  /** Shorter job-queue timings, for tests. */
  jobsTuning?: JobsTuning;
}

export interface ServeOptions {
  grpcServices: GrpcServiceRegistration[];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  consumers?: EventHandler<any>[];
  /** Whether the service publishes events (owns a stream and runs an outbox relay). Default true. */
  publishes?: boolean;
  /** The service's part in data-subject requests: its inventory and actions (services/kit/PRIVACY.md). */
  participant?: PrivacyParticipant;
  /** Listeners every replica runs on the service's own events (in-memory state such as caches). */
  broadcasts?: BroadcastHandler[];
}

/**
 * The infrastructure every service shares, built without I/O in the constructor: logger, pool, Drizzle,
 * outbox. `start` migrates (or verifies) the schema, connects NATS, ensures streams and consumers, starts
 * the relay and the gRPC server; `stop` tears down in reverse: stop taking calls, finish the message in
 * hand, stop the relay, drain NATS, close the pool.
 */
export class ServiceRuntime {
  readonly log: Logger;
  readonly pool: pg.Pool;
  readonly db: Database;
  readonly outbox: Outbox;
  readonly naming: Naming;
  readonly tokens: InternalTokens;
  /** SUBJECT_HASH_KEY (writes) and SUBJECT_HASH_KEYS_PREVIOUS (matched too), for subject hashes. */
  readonly subjectHashKeys: SubjectHashKeys;
  /** Durable jobs, timers and cron (services/kit/JOBS.md): define workers and schedules before start. */
  readonly jobs: Jobs;
  private nats?: NatsConnection;
  private relay?: OutboxRelay;
  private consumers: InboxConsumer<unknown>[] = [];
  private listeners: BroadcastListener[] = [];
  private grpc?: GrpcServer;
  private stopped?: Promise<void>;

  constructor(private readonly options: RuntimeOptions) {
    this.log =
      options.log ??
      createLogger({ service: options.service, version: options.version, level: options.env.LOG_LEVEL });
    this.pool = createPool(options.env.DATABASE_URL, options.env.DATABASE_POOL_MAX);
    this.db = createDatabase(this.pool);
    // Subjects of events are stored as hashes under the current subject hash key (SUBJECT_HASH_KEY).
    this.outbox = new Outbox(options.service, {
      current: options.env.SUBJECT_HASH_KEY,
      previous: options.env.SUBJECT_HASH_KEYS_PREVIOUS,
    });
    this.naming = new Naming(options.env.NATS_PREFIX);
    this.tokens = new InternalTokens({
      issuer: options.service,
      privateKey: options.env.INTERNAL_TOKEN_PRIVATE_KEY,
      publicKeys: options.env.INTERNAL_TOKEN_PUBLIC_KEYS,
    });
    this.subjectHashKeys = {
      current: options.env.SUBJECT_HASH_KEY,
      previous: options.env.SUBJECT_HASH_KEYS_PREVIOUS,
    };
    this.jobs = new Jobs({
      connectionString: options.env.DATABASE_URL,
      schema: options.env.JOBS_SCHEMA,
      service: options.service,
      log: this.log,
      ...(options.jobsTuning ? { tuning: options.jobsTuning } : {}),
    });
  }

  /** Runs `work` in a transaction and wakes the outbox relay once it commits. */
  transaction<R>(work: (tx: Transaction) => Promise<R>): Promise<R> {
    return this.outbox.transaction(this.db, work);
  }

  /** `withTenant`, waking the outbox relay once the transaction commits. */
  withTenant<R>(tenantId: string, work: (tx: Transaction) => Promise<R>): Promise<R> {
    return this.outbox.withTenant(this.db, tenantId, work);
  }

  /** The service's own stream settings (NATS_STREAM_* variables). */
  get streamSettings(): StreamSettings {
    const { env } = this.options;
    return {
      replicas: env.NATS_STREAM_REPLICAS,
      maxAgeMs: env.NATS_STREAM_MAX_AGE_HOURS * 3_600_000,
      maxBytes: env.NATS_STREAM_MAX_BYTES,
    };
  }

  /** How consumers behave (EVENT_* variables). */
  get inboxSettings(): Partial<InboxSettings> {
    const { env } = this.options;
    return {
      backoffMs: env.EVENT_BACKOFF_MS,
      maxDeliver: env.EVENT_MAX_DELIVER,
      concurrency: env.EVENT_CONCURRENCY,
      orderWaitMs: env.EVENT_ORDER_WAIT_MS,
    };
  }

  /** A unary handler bound to this service's logger and token verifier. */
  unary<Request, Response>(
    method: string,
    handler: (context: RpcContext<Request>) => Promise<Response>,
    options: RpcOptions = {},
  ) {
    return unary(method, { log: this.log, tokens: this.tokens }, handler, options);
  }

  /** A server-streaming handler bound to this service's logger and token verifier. */
  serverStream<Request, Item>(
    method: string,
    handler: (context: RpcContext<Request>, send: (item: Item) => Promise<void>) => Promise<void>,
    options: RpcOptions = {},
  ) {
    return serverStream(method, { log: this.log, tokens: this.tokens }, handler, options);
  }

  /** Metadata for calling another service as `caller`. */
  metadataFor(caller: Caller): Promise<Metadata> {
    return callerMetadata(this.tokens, caller);
  }

  get grpcPort(): number | undefined {
    return this.grpc?.port;
  }

  /** Applies pending migrations regardless of MIGRATIONS (the `migrate` command and the Helm hook). */
  async migrate(): Promise<string[]> {
    const applied = await migrate(this.pool, this.options.assets.migrations, {
      mode: 'apply',
      log: this.log,
    });
    await this.jobs.migrate();
    return applied;
  }

  async start(serve: ServeOptions): Promise<void> {
    try {
      await this.startParts(serve);
    } catch (error) {
      // Leave nothing running behind a failed start: no relay, no consumers, no open connections.
      await this.stop().catch(() => undefined);
      throw error;
    }
  }

  private async startParts(serve: ServeOptions): Promise<void> {
    const { env } = this.options;
    await migrate(this.pool, this.options.assets.migrations, { mode: env.MIGRATIONS, log: this.log });
    // After the service's own migrations, so a job that runs at once finds its tables. In verify mode
    // the queue's schema must already be there (the migrate command installs it too).
    // Event housekeeping (expired dead letters, inbox rows and versions past their windows) runs on the job
    // queue: hourly, once across the service's replicas, and now at start-up (it is idempotent).
    const retention = {
      deadLetterDays: env.DEAD_LETTER_RETENTION_DAYS,
      streamMaxAgeMs: env.NATS_STREAM_MAX_AGE_HOURS * 3_600_000,
    };
    await this.jobs.work(EVENT_HOUSEKEEPING_QUEUE, async ({ log }) => {
      const counts = await runEventHousekeeping(this.db, retention);
      if (Object.values(counts).some((count) => count > 0)) log.info(counts, 'event housekeeping done');
    });
    await this.jobs.schedule(EVENT_HOUSEKEEPING_QUEUE, EVENT_HOUSEKEEPING_CRON);
    await this.jobs.start({ migrate: env.MIGRATIONS === 'apply' });
    await this.jobs.send(EVENT_HOUSEKEEPING_QUEUE, {}, { singletonKey: 'start-up' });
    this.nats = await connectNats({
      url: env.NATS_URL,
      name: this.options.service,
      credsFile: env.NATS_CREDS_FILE,
      user: env.NATS_USER,
      password: env.NATS_PASSWORD,
    });
    const js: JetStreamClient = jetstream(this.nats);
    const jsm: JetStreamManager = await jetstreamManager(this.nats);
    const consumers = [...(serve.consumers ?? [])];
    const naming = consumers.find((handler) => handler.subject);
    if (naming && !serve.participant) {
      // Tombstones are written by the participant's erasure: without one, nothing would ever be dropped.
      throw new Error(
        `consumer ${naming.durable} creates data about people from events, so ${this.options.service} must be a privacy participant (services/kit/PRIVACY.md)`,
      );
    }
    const grpcServices = [...serve.grpcServices];
    if (serve.participant) {
      // Receipts go to privacy's stream, which privacy owns; its outbox relay retries until it exists.
      const secret = this.subjectHashKeys;
      consumers.push(participantTaskHandler({ participant: serve.participant, outbox: this.outbox, secret }));
      const handlers = participantService(serve.participant, { db: this.db, secret });
      grpcServices.push({
        name: 'parley.privacy.v1.ParticipantService',
        definition: participantV1.ParticipantServiceService,
        implementation: {
          describeData: this.unary('DescribeData', handlers.describeData, {
            scope: 'internal',
            tenant: false,
          }),
          exportSubject: this.serverStream('ExportSubject', handlers.exportSubject, { scope: 'internal' }),
        },
      });
    }
    if ((serve.publishes ?? true) || serve.participant) {
      await ensureStream(jsm, this.naming, this.options.service, this.streamSettings);
      this.relay = new OutboxRelay({
        pool: this.pool,
        js,
        naming: this.naming,
        log: this.log,
        outbox: this.outbox,
        maxAttempts: env.OUTBOX_MAX_ATTEMPTS,
      });
      await this.relay.start();
      for (const handler of serve.broadcasts ?? []) {
        const listener = new BroadcastListener({
          js,
          naming: this.naming,
          service: this.options.service,
          log: this.log,
          handler,
        });
        await listener.start();
        this.listeners.push(listener);
      }
    } else if (serve.broadcasts?.length) {
      throw new Error(`${this.options.service} publishes no events, so it has none to broadcast`);
    }
    for (const handler of consumers) {
      const consumer = new InboxConsumer({
        db: this.db,
        js,
        jsm,
        naming: this.naming,
        log: this.log,
        handler,
        settings: this.inboxSettings,
        afterCommit: () => this.outbox.committed(),
        subjectHashKeys: this.subjectHashKeys,
      });
      await consumer.start();
      this.consumers.push(consumer);
    }
    grpcServices.push(this.deadLetterService());
    this.grpc = await startGrpcServer({
      host: env.GRPC_HOST,
      port: env.GRPC_PORT,
      log: this.log,
      services: grpcServices,
      reflection: {
        protoDir: this.options.assets.protoDir,
        files: serve.participant
          ? [...this.options.protoFiles, protoFiles.participant, protoFiles.deadLetters]
          : [...this.options.protoFiles, protoFiles.deadLetters],
      },
    });
  }

  /** The dead-letter admin service every service serves (scope platform:admin). */
  private deadLetterService(): GrpcServiceRegistration {
    const admin = { scope: 'platform:admin', tenant: false } as const;
    const consumers = () => new Map(this.consumers.map((consumer) => [consumer.durable, consumer]));
    return {
      name: 'parley.kit.v1.DeadLetterService',
      definition: kitV1.DeadLetterServiceService,
      implementation: {
        listDeadLetters: this.unary(
          'ListDeadLetters',
          async ({ request }: RpcContext<kitV1.ListDeadLettersRequest>) => listDeadLetters(this.db, request),
          admin,
        ),
        replayDeadLetter: this.unary(
          'ReplayDeadLetter',
          async ({ request }: RpcContext<kitV1.ReplayDeadLetterRequest>) =>
            replayDeadLetter(this.db, request.id, consumers(), () => this.outbox.committed()),
          admin,
        ),
        discardDeadLetter: this.unary(
          'DiscardDeadLetter',
          async ({ request }: RpcContext<kitV1.DiscardDeadLetterRequest>) => {
            await discardDeadLetter(this.db, request.id);
            return {};
          },
          admin,
        ),
      },
    };
  }

  async stop(): Promise<void> {
    if (this.stopped) return this.stopped;
    this.stopped = this.stopParts();
    return this.stopped;
  }

  private async stopParts(): Promise<void> {
    const timeout = this.options.env.SHUTDOWN_TIMEOUT_MS;
    // Each step has its own bound, so one that hangs (a handler stuck on a lock, a peer that never answers)
    // cannot keep the process from exiting: it is logged and the next step runs.
    const step = async (name: string, work: () => Promise<unknown>) => {
      const outcome = work().catch((error: unknown) =>
        this.log.warn({ err: error, step: name }, 'a shutdown step failed; going on'),
      );
      if (!(await within(timeout + STOP_STEP_SLACK_MS, outcome))) {
        this.log.warn({ step: name, timeoutMs: timeout }, 'a shutdown step did not finish in time; going on');
      }
    };
    await step('grpc', async () => this.grpc?.shutdown(timeout));
    // Stop taking jobs and let the ones in hand finish (up to the timeout) while NATS and the pool are
    // still there for them; a job cut off is retried by another replica after it expires.
    await step('jobs', () => this.jobs.stop(timeout));
    await step('consumers', () => Promise.all(this.consumers.map((consumer) => consumer.stop())));
    await step('listeners', () => Promise.all(this.listeners.map((listener) => listener.stop())));
    await step('relay', async () => this.relay?.stop());
    await step('nats', async () => this.nats?.drain().catch(() => undefined));
    await step('pool', () => this.pool.end());
  }
}
