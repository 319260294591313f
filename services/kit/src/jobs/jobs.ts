import { fromDrizzle, PgBoss, type JobWithMetadata, type SendOptions as BossSendOptions } from 'pg-boss';
import { sql } from 'drizzle-orm';
import type { Transaction } from '../db/database';
import { runWithContext } from '../context';
import type { Logger } from '../logging';
import { isCronExpression } from './schedule';

/**
 * Durable jobs, timers and cron on PostgreSQL (pg-boss, in its own schema of the service's database; see
 * services/kit/JOBS.md for why pg-boss). A job is a row: it survives restarts, is claimed by one worker
 * at a time (SKIP LOCKED), is retried with backoff when its handler throws or its worker dies, and a
 * cron schedule creates one job per period however many replicas are running.
 *
 * Payloads are never logged: they may hold personal data. Log lines carry the queue, job id, attempt
 * and tenant only.
 */

/** What a handler is given. */
export interface JobContext<Data> {
  /** The job's payload, as sent. */
  data: Data;
  id: string;
  queue: string;
  /** 0 on the first attempt, 1 on the first retry, ... */
  retryCount: number;
  /** The attempts allowed after the first (the job's retryLimit). */
  retryLimit: number;
  /** When the job was created: for a scheduled job, just after the period it was created for began. */
  createdOn: Date;
  /** The tenant the job was sent for, when it was sent with one (also set as the log/work context). */
  tenantId?: string;
  /** A child logger carrying the queue, job id and attempt. */
  log: Logger;
  /** Aborted when the job is cancelled or the worker is stopping past its shutdown timeout. */
  signal: AbortSignal;
}

export type JobHandler<Data> = (job: JobContext<Data>) => Promise<void>;

/** Retry and expiry settings of a queue; every job sent to it inherits them unless the send overrides. */
export interface QueueSettings {
  /** Attempts after the first before the job is marked failed (default 2). */
  retryLimit?: number;
  /** Seconds before a retry; with `retryBackoff` the base of an exponential, jittered delay. */
  retryDelaySeconds?: number;
  retryBackoff?: boolean;
  /** Upper bound of a backed-off delay, in seconds. */
  retryDelayMaxSeconds?: number;
  /**
   * Seconds a job may stay active before it counts as lost (its worker died) and is retried
   * (default 900). Keep it above the handler's longest run.
   */
  expireInSeconds?: number;
}

/**
 * How a queue treats `singletonKey` (fixed when the queue is first created): `standard` ignores a key
 * unless the send also throttles; `exclusive` allows one job per key queued or active; `singleton` one
 * active per key; `stately` one queued and one active per key.
 */
export type QueuePolicy = 'standard' | 'exclusive' | 'singleton' | 'stately';

export interface QueueDefinition extends QueueSettings {
  policy?: QueuePolicy;
}

export interface WorkerOptions extends QueueDefinition {
  /** How many jobs this process runs at once on this queue (default 1). */
  concurrency?: number;
  /** How often an idle worker looks for jobs, in seconds (default 2). */
  pollingIntervalSeconds?: number;
  /**
   * A queue that carries traffic (sends, webhooks): while there is a backlog, workers take the next jobs
   * at once instead of pausing a polling interval after each job, which would cap the queue at about
   * concurrency ÷ interval jobs a second. Each worker takes BUSY_BATCH jobs at a time, runs them side by
   * side and settles each on its own (one failing does not fail the other); it keeps fetching without a
   * pause while its fetches come back full, and polls again once the backlog is gone.
   */
  busy?: boolean;
  /**
   * At most this many jobs of one group (`SendJobOptions.group`) active at once, across every replica
   * (pg-boss counts the group's active jobs when it fetches, and skips a group at its limit for the jobs
   * behind it). Jobs sent without a group are not limited. Fairness between tenants: group by tenant.
   */
  groupConcurrency?: number;
}

/** Jobs a worker of a `busy` queue takes at a time (its workers are concurrency ÷ this, rounded up). */
export const BUSY_BATCH = 2;

export interface SendJobOptions {
  /** The job's id (a UUID): sending the same id again creates nothing, so a send can be repeated safely. */
  id?: string;
  /** Run no earlier than this time, or this many seconds from now. */
  startAfter?: Date | number;
  retryLimit?: number;
  retryDelaySeconds?: number;
  retryBackoff?: boolean;
  retryDelayMaxSeconds?: number;
  /**
   * Deduplication key: on a queue whose policy is `exclusive`, while a job with this key is queued or
   * active, sending another with it creates nothing (see `QueuePolicy`).
   */
  singletonKey?: string;
  /** The tenant the job is for; the handler gets it as `tenantId` and its log lines carry it. */
  tenantId?: string;
  /** The group the job counts against on a worker with `groupConcurrency` (a tenant id, say). */
  group?: string;
  /** Jobs of higher priority are taken first, then the oldest first (default 0; negative is allowed). */
  priority?: number;
  /**
   * A transaction (withTenant / db.transaction): the job is inserted in it, so it exists if and only if
   * the transaction commits.
   */
  tx?: Transaction;
}

export interface ScheduleOptions<Data> {
  /** IANA time zone the expression is read in (default UTC). */
  tz?: string;
  data?: Data;
  tenantId?: string;
}

/** pg-boss timings a test can shorten; production uses the defaults. */
export interface JobsTuning {
  /** How often the supervisor pass runs, in seconds (pg-boss default 60). */
  superviseIntervalSeconds?: number;
  /** How often expired (lost) jobs are detected and retried, in seconds (pg-boss default 60). */
  monitorIntervalSeconds?: number;
  /** How often due cron occurrences are looked for, in seconds (pg-boss default 30, at most 45). */
  cronMonitorIntervalSeconds?: number;
  /** How often cron occurrences are turned into jobs, in seconds (pg-boss default 5). */
  cronWorkerIntervalSeconds?: number;
}

export interface JobsOptions {
  connectionString: string;
  /** The schema pg-boss keeps its tables in (created on first start; the service's role owns it). */
  schema: string;
  service: string;
  log: Logger;
  /** Connections pg-boss may hold (default 4). */
  poolMax?: number;
  tuning?: JobsTuning;
}

/** The envelope stored in pg-boss: the tenant beside the payload, never inside it. */
interface Envelope<Data> {
  tenantId?: string;
  payload: Data;
}

interface WorkerDefinition {
  queue: string;
  options: WorkerOptions;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  handler: JobHandler<any>;
}

interface ScheduleDefinition {
  queue: string;
  cron: string;
  options: ScheduleOptions<unknown>;
}

const queueName = /^[A-Za-z0-9_.-]{1,100}$/;

function queueSettings(settings: QueueSettings): Partial<BossSendOptions> {
  return {
    ...(settings.retryLimit !== undefined ? { retryLimit: settings.retryLimit } : {}),
    ...(settings.retryDelaySeconds !== undefined ? { retryDelay: settings.retryDelaySeconds } : {}),
    ...(settings.retryBackoff !== undefined ? { retryBackoff: settings.retryBackoff } : {}),
    ...(settings.retryDelayMaxSeconds !== undefined ? { retryDelayMax: settings.retryDelayMaxSeconds } : {}),
    ...(settings.expireInSeconds !== undefined ? { expireInSeconds: settings.expireInSeconds } : {}),
  };
}

/**
 * The service's job queue. Define workers and schedules before `start` (or after: they take effect at
 * once); send from anywhere after `start`. `stop` stops fetching, lets the jobs in hand finish up to the
 * timeout, then closes; a job still running then is retried after its expiry by another process.
 */
export class Jobs {
  private boss?: PgBoss;
  private readonly workers: WorkerDefinition[] = [];
  private readonly schedules: ScheduleDefinition[] = [];
  private readonly createdQueues = new Set<string>();
  private starting?: Promise<void>;

  constructor(private readonly options: JobsOptions) {}

  get started(): boolean {
    return this.boss !== undefined;
  }

  /** Runs `handler` for every job sent to `queue` (by `send` or by a schedule). */
  async work<Data>(queue: string, handler: JobHandler<Data>, options: WorkerOptions = {}): Promise<void> {
    this.checkQueue(queue);
    const definition = { queue, options, handler };
    this.workers.push(definition);
    if (this.boss) await this.startWorker(this.boss, definition);
  }

  /**
   * Sends `data` to `queue`'s handler once every period of `cron` (five fields, minute resolution), in
   * `tz`. One job per period across every replica of the service: pg-boss claims each cron pass with a
   * row lock and files each occurrence under a singleton slot. Re-scheduling the same queue replaces
   * its expression.
   */
  async schedule<Data>(queue: string, cron: string, options: ScheduleOptions<Data> = {}): Promise<void> {
    this.checkQueue(queue);
    if (!isCronExpression(cron, options.tz ?? 'UTC'))
      throw new Error(`schedule for ${queue}: "${cron}" is not a five-field cron expression`);
    const definition = { queue, cron, options: options as ScheduleOptions<unknown> };
    this.schedules.push(definition);
    if (this.boss) await this.startSchedule(this.boss, definition);
  }

  /**
   * Creates `queue` with these settings, or updates its settings (the policy of an existing queue is
   * kept). Optional: `work`, `schedule` and `send` create a queue they find missing with the defaults.
   */
  async queue(queue: string, definition: QueueDefinition): Promise<void> {
    const boss = this.requireStarted();
    this.checkQueue(queue);
    this.createdQueues.delete(queue);
    await this.ensureQueue(boss, queue, definition);
  }

  /** Enqueues a job; returns its id, or undefined when a job with the same id or singleton key exists. */
  async send<Data>(queue: string, data: Data, options: SendJobOptions = {}): Promise<string | undefined> {
    const boss = this.requireStarted();
    this.checkQueue(queue);
    await this.ensureQueue(boss, queue, {});
    const envelope: Envelope<Data> = {
      payload: data,
      ...(options.tenantId ? { tenantId: options.tenantId } : {}),
    };
    const id = await boss.send(queue, envelope as object, {
      ...queueSettings(options),
      ...(options.startAfter !== undefined ? { startAfter: options.startAfter } : {}),
      ...(options.singletonKey !== undefined ? { singletonKey: options.singletonKey } : {}),
      ...(options.id !== undefined ? { id: options.id } : {}),
      ...(options.group !== undefined ? { group: { id: options.group } } : {}),
      ...(options.priority !== undefined ? { priority: options.priority } : {}),
      ...(options.tx ? { db: fromDrizzle(options.tx, sql) } : {}),
    });
    return id ?? undefined;
  }

  /** Creates pg-boss's schema or brings it up to date (the `migrate` command and the Helm hook). */
  async migrate(): Promise<void> {
    const boss = this.createBoss({ supervise: false, schedule: false, migrate: true });
    await boss.start();
    await boss.stop({ graceful: false, close: true });
  }

  /**
   * Connects, installs or checks the schema (`migrate` false in verify mode: the schema must be there),
   * creates the queues and starts the workers and schedules defined so far.
   */
  async start(options: { migrate?: boolean } = {}): Promise<void> {
    if (this.boss) return;
    this.starting ??= (async () => {
      const boss = this.createBoss({ migrate: options.migrate ?? true });
      await boss.start();
      this.boss = boss;
      for (const worker of this.workers) await this.startWorker(boss, worker);
      for (const schedule of this.schedules) await this.startSchedule(boss, schedule);
    })();
    await this.starting;
  }

  /** Stops fetching new jobs, waits up to `timeoutMs` for the jobs in hand, then closes the pool. */
  async stop(timeoutMs: number): Promise<void> {
    await this.starting?.catch(() => undefined);
    const boss = this.boss;
    this.boss = undefined;
    if (!boss) return;
    // pg-boss refuses a zero timeout; one millisecond means "do not wait".
    await boss.stop({ graceful: true, close: true, timeout: Math.max(timeoutMs, 1) });
  }

  private createBoss(flags: { migrate: boolean; supervise?: boolean; schedule?: boolean }): PgBoss {
    const boss = new PgBoss({
      connectionString: this.options.connectionString,
      schema: this.options.schema,
      max: this.options.poolMax ?? 4,
      application_name: `${this.options.service}-jobs`,
      instanceName: this.options.service,
      ...this.options.tuning,
      ...flags,
    });
    // pg-boss reports background failures (a lost connection, a failed maintenance pass) as events; an
    // unhandled 'error' event would crash the process.
    boss.on('error', (error: unknown) => this.options.log.warn({ err: error }, 'job queue background error'));
    return boss;
  }

  private requireStarted(): PgBoss {
    if (!this.boss) throw new Error('the job queue is not started (send after runtime.start)');
    return this.boss;
  }

  private checkQueue(queue: string): void {
    if (!queueName.test(queue))
      throw new Error(`job queue name "${queue}" must be 1-100 letters, digits, '.', '_' or '-'`);
  }

  private async ensureQueue(boss: PgBoss, queue: string, definition: QueueDefinition): Promise<void> {
    if (this.createdQueues.has(queue)) return;
    const existing = await boss.getQueue(queue);
    const settings = queueSettings(definition);
    if (existing) {
      if (Object.keys(settings).length > 0) await boss.updateQueue(queue, settings);
    } else {
      const created = { ...settings, ...(definition.policy ? { policy: definition.policy } : {}) };
      await boss.createQueue(queue, created).catch(async (error: unknown) => {
        // Another replica created it between the two statements.
        if (!(await boss.getQueue(queue))) throw error;
      });
    }
    this.createdQueues.add(queue);
  }

  private async startWorker(boss: PgBoss, definition: WorkerDefinition): Promise<void> {
    const { queue, options, handler } = definition;
    await this.ensureQueue(boss, queue, options);
    const log = this.options.log.child({ queue });
    const concurrency = options.concurrency ?? 1;
    const pollingIntervalSeconds = options.pollingIntervalSeconds ?? 2;
    const groups =
      options.groupConcurrency !== undefined ? { groupConcurrency: options.groupConcurrency } : {};
    if (options.busy) {
      const busyOptions = {
        localConcurrency: Math.ceil(concurrency / BUSY_BATCH),
        batchSize: BUSY_BATCH,
        burstWhenBatchFull: true,
        perJobResults: true,
        pollingIntervalSeconds,
        includeMetadata: true,
        ...groups,
      } as const;
      await boss.work<Envelope<unknown>, void, typeof busyOptions>(queue, busyOptions, async (jobs) => {
        const settled = await Promise.allSettled(jobs.map((job) => this.run(job, handler, log)));
        return jobs.map((job, index) => {
          const outcome = settled[index]!;
          return outcome.status === 'fulfilled'
            ? { id: job.id, status: 'completed' as const }
            : { id: job.id, status: 'failed' as const, output: failureOutput(outcome.reason) };
        });
      });
      return;
    }
    const workOptions = {
      localConcurrency: concurrency,
      pollingIntervalSeconds,
      includeMetadata: true,
      ...groups,
    } as const;
    await boss.work<Envelope<unknown>, void, typeof workOptions>(
      queue,
      workOptions,
      async (jobs: JobWithMetadata<Envelope<unknown>>[]) => {
        for (const job of jobs) await this.run(job, handler, log);
      },
    );
  }

  private async run(
    job: JobWithMetadata<Envelope<unknown>>,
    handler: JobHandler<unknown>,
    parentLog: Logger,
  ): Promise<void> {
    // A schedule's jobs and older senders may carry no envelope; treat the whole as the payload then.
    const envelope =
      job.data && typeof job.data === 'object' && 'payload' in job.data
        ? job.data
        : ({ payload: job.data } as Envelope<unknown>);
    const tenantId = envelope.tenantId;
    const log = parentLog.child({
      jobId: job.id,
      attempt: job.retryCount + 1,
      ...(tenantId ? { tenant_id: tenantId } : {}),
    });
    const context: JobContext<unknown> = {
      data: envelope.payload,
      id: job.id,
      queue: job.name,
      retryCount: job.retryCount,
      retryLimit: job.retryLimit,
      createdOn: job.createdOn,
      log,
      signal: job.signal,
      ...(tenantId ? { tenantId } : {}),
    };
    const started = Date.now();
    try {
      await runWithContext({ ...(tenantId ? { tenantId } : {}), principal: `job:${job.name}` }, () =>
        handler(context),
      );
      log.debug({ ms: Date.now() - started }, 'job completed');
    } catch (error) {
      // pg-boss records the failure on the job and schedules the retry; the payload stays out of the log.
      log.warn({ err: error, ms: Date.now() - started }, 'job failed, will retry if attempts remain');
      throw error;
    }
  }

  private async startSchedule(boss: PgBoss, definition: ScheduleDefinition): Promise<void> {
    const { queue, cron, options } = definition;
    await this.ensureQueue(boss, queue, {});
    const envelope: Envelope<unknown> = {
      payload: options.data ?? {},
      ...(options.tenantId ? { tenantId: options.tenantId } : {}),
    };
    await boss.schedule(queue, cron, envelope as object, { tz: options.tz ?? 'UTC' });
  }
}

/** What a failed job keeps as its output: the error's name and message, as pg-boss records a thrown one. */
function failureOutput(reason: unknown): { name: string; message: string } {
  return reason instanceof Error
    ? { name: reason.name, message: reason.message }
    : { name: 'Error', message: String(reason) };
}
