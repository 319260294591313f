import { createHash, randomUUID } from 'node:crypto';
import { and, desc, eq, inArray, lt, sql } from 'drizzle-orm';
import { status } from '@grpc/grpc-js';
import { metrics } from '@opentelemetry/api';
import {
  AppError,
  PrivacyAction,
  privacyTaskEvent,
  withTenant,
  type Database,
  type Jobs,
  type Logger,
  type Outbox,
} from '@parley/kit';
import { participantV1, privacyV1 } from '@parley/proto';
import { requestTasks, retentionCycles, retentionRuns, subjectRequests, type WaitingFor } from './db/schema';
import type { AuditLog } from './db/audit';
import type { DeclaredRetention, Ledger } from './ledger';
import { retentionOf, type Participants } from './participants';
import { openStates } from './domain/requests';
import { missedPeriod, periodOf } from './domain/retentionSchedule';

const meter = metrics.getMeter('parley-privacy');

export const RETENTION_QUEUE = 'privacy-retention';
export const DEADLINE_SCAN_QUEUE = 'privacy-deadline-scan';
/** Attempts after the first while a participant is down: with backoff capped at an hour, a day or so. */
const RETENTION_RETRY_LIMIT = 30;

/** Participants that could not be asked what they hold; a run started without them would skip them. */
export class ParticipantsUnavailable extends AppError {
  constructor(readonly waitingFor: WaitingFor[]) {
    super(
      'unavailable',
      'PARTICIPANT_UNAVAILABLE',
      `retention needs every participant; unavailable: ${waitingFor.map((entry) => entry.participant).join(', ')}`,
    );
  }
}

function reasonOf(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'number' && status[code] ? String(status[code]) : 'ERROR';
}

/**
 * Retention enforcement and deadline watching, on the kit's job queue (services/kit/JOBS.md), so each
 * runs once per period however many replicas are up. A retention cycle asks each participant to purge,
 * per category with a policy, what is older than the policy allows (one durable task per category),
 * for every tenant; a participant that cannot be reached holds the cycle back: it is recorded as
 * `retrying` with the participant named (and an audit entry), and the job is retried with backoff until
 * the participant answers. The deadline scan announces each request that passes its deadline once (an
 * event and an audit entry) and keeps the gauges current.
 */
export class Scheduling {
  private overdue = 0;
  private dueSoon = 0;
  private gaugeReading?: { at: number; counts: Promise<{ overdue: number; dueSoon: number }> };

  constructor(
    private readonly deps: {
      db: Database;
      outbox: Outbox;
      audit: AuditLog;
      ledger: Ledger;
      participants: Participants;
      log: Logger;
      jobs: Jobs;
      tenants: () => Promise<string[]>;
      /** The retention schedule (five-field cron, UTC); none: only runs asked for through the API. */
      retentionCron?: string;
      retentionRetryDelaySeconds?: number;
      /** The deadline scan's schedule; none: no scan. */
      deadlineCron?: string;
      now?: () => Date;
    },
  ) {
    meter
      .createObservableGauge('privacy_requests_overdue', {
        description: 'Open data-subject requests past their legal deadline',
      })
      .addCallback(async (result) => result.observe((await this.gauges()).overdue));
    meter
      .createObservableGauge('privacy_requests_due_soon', {
        description: 'Open data-subject requests due within 7 days',
      })
      .addCallback(async (result) => result.observe((await this.gauges()).dueSoon));
  }

  private now() {
    return this.deps.now?.() ?? new Date();
  }

  /** Defines the workers and schedules; call before the runtime starts. */
  async register(): Promise<void> {
    const { jobs, retentionCron, deadlineCron } = this.deps;
    if (retentionCron) {
      await jobs.work<{ period?: string }>(
        RETENTION_QUEUE,
        async (job) => {
          const period = job.data.period ? new Date(job.data.period) : periodOf(retentionCron, job.createdOn);
          await this.retentionCycle(period, {
            attempt: job.retryCount,
            lastAttempt: job.retryCount >= job.retryLimit,
          });
        },
        {
          // One cycle at a time across replicas: a made-up run and a scheduled one never overlap.
          policy: 'singleton',
          retryLimit: RETENTION_RETRY_LIMIT,
          retryDelaySeconds: this.deps.retentionRetryDelaySeconds ?? 60,
          retryBackoff: true,
          retryDelayMaxSeconds: 3600,
          expireInSeconds: 15 * 60,
        },
      );
      await jobs.schedule(RETENTION_QUEUE, retentionCron, { tz: 'UTC' });
    }
    if (deadlineCron) {
      await jobs.work(DEADLINE_SCAN_QUEUE, async () => void (await this.scanDeadlines()), {
        // The next period scans again; a failed scan need not be retried.
        retryLimit: 0,
        expireInSeconds: 5 * 60,
      });
      await jobs.schedule(DEADLINE_SCAN_QUEUE, deadlineCron, { tz: 'UTC' });
    }
  }

  /**
   * After start: when the last scheduled retention time passed without a cycle (every replica was down
   * then), sends that period's cycle now. Two replicas starting together may both send it; the cycle
   * claims its period, so it runs once.
   */
  async catchUp(): Promise<Date | undefined> {
    const { retentionCron } = this.deps;
    if (!retentionCron) return undefined;
    const [latest] = await this.deps.db
      .select({ period: retentionCycles.period })
      .from(retentionCycles)
      .orderBy(desc(retentionCycles.period))
      .limit(1);
    const missed = missedPeriod(retentionCron, this.now(), latest?.period);
    if (!missed) return undefined;
    this.deps.log.info({ period: missed.toISOString() }, 'retention run was missed; making it up now');
    // The id names the period, so replicas making up the same run send one job between them.
    const hex = createHash('sha256').update(`${RETENTION_QUEUE}:${missed.toISOString()}`).digest('hex');
    const id = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
    await this.deps.jobs.send(RETENTION_QUEUE, { period: missed.toISOString() }, { id });
    return missed;
  }

  /**
   * One scheduled retention cycle: a run for every tenant that has none for this period yet. Throws (so
   * the job is retried with backoff) while a participant is unavailable, after recording who.
   */
  async retentionCycle(period: Date, attempt: { attempt: number; lastAttempt: boolean }): Promise<void> {
    const [cycle] = await this.deps.db
      .insert(retentionCycles)
      .values({ period, state: 'running', attempts: 1, waitingFor: [] })
      .onConflictDoUpdate({
        target: retentionCycles.period,
        // A second job for a period already completed (the start-up make-up and the scheduled job can
        // both name the period that began as a replica started) changes nothing, not even the count.
        set: {
          attempts: sql`case when ${retentionCycles.state} = 'completed' then ${retentionCycles.attempts} else ${retentionCycles.attempts} + 1 end`,
          updatedAt: sql`now()`,
        },
      })
      .returning();
    if (cycle?.state === 'completed') return;
    const waiting = new Map<string, WaitingFor>();
    let tenants: string[] = [];
    try {
      tenants = await this.deps.tenants();
    } catch (error) {
      waiting.set('identity', { participant: 'identity', reason: reasonOf(error) });
    }
    for (const tenantId of tenants) {
      try {
        await this.runRetention(tenantId, 'service:privacy', period);
      } catch (error) {
        if (!(error instanceof ParticipantsUnavailable)) throw error;
        for (const entry of error.waitingFor) waiting.set(entry.participant, entry);
      }
    }
    const waitingFor = [...waiting.values()];
    const state = waitingFor.length === 0 ? 'completed' : attempt.lastAttempt ? 'failed' : 'retrying';
    await withTenant(this.deps.db, 'platform', async (tx) => {
      await tx
        .update(retentionCycles)
        .set({
          state,
          waitingFor,
          updatedAt: sql`now()`,
          ...(state === 'completed' ? { completedAt: sql`now()` } : {}),
        })
        .where(eq(retentionCycles.period, period));
      await this.deps.audit.append(tx, {
        tenantId: 'platform',
        actor: 'service:privacy',
        action: `retention.cycle.${state}`,
        details: {
          period: period.toISOString(),
          attempt: attempt.attempt + 1,
          tenants: tenants.length,
          ...(waitingFor.length > 0 ? { waitingFor } : {}),
        },
      });
    });
    if (waitingFor.length > 0) {
      const names = waitingFor.map((entry) => entry.participant);
      const message = `retention for ${period.toISOString()} is waiting for ${names.join(', ')}`;
      if (state === 'failed') {
        this.deps.log.error(
          { period: period.toISOString(), waitingFor },
          `${message}; giving up on this period`,
        );
        return;
      }
      this.deps.log.warn({ period: period.toISOString(), waitingFor }, `${message}; will retry`);
      throw new Error(message);
    }
  }

  private async openRequests(now: Date) {
    const open = await withTenant(this.deps.db, 'platform', (tx) =>
      tx.select().from(subjectRequests).where(inArray(subjectRequests.state, openStates)),
    );
    this.overdue = open.filter((row) => !row.pausedAt && row.dueAt < now).length;
    this.dueSoon = open.filter(
      (row) => !row.pausedAt && row.dueAt >= now && row.dueAt.getTime() - now.getTime() < 7 * 86_400_000,
    ).length;
    return open;
  }

  /**
   * The gauges as every replica reports them: the scan runs in one replica a minute, so each replica
   * counts for itself when scraped (at most every 15 seconds), and reports its last counts if that fails.
   */
  private gauges(): Promise<{ overdue: number; dueSoon: number }> {
    if (!this.gaugeReading || Date.now() - this.gaugeReading.at > 15_000) {
      const last = { overdue: this.overdue, dueSoon: this.dueSoon };
      this.gaugeReading = {
        at: Date.now(),
        counts: this.openRequests(this.now()).then(
          () => ({ overdue: this.overdue, dueSoon: this.dueSoon }),
          () => last,
        ),
      };
    }
    return this.gaugeReading.counts;
  }

  async scanDeadlines(): Promise<number> {
    const now = this.now();
    const open = await this.openRequests(now);
    let announced = 0;
    for (const row of open.filter(
      (candidate) => !candidate.pausedAt && candidate.dueAt < now && !candidate.overdueAnnounced,
    )) {
      await withTenant(this.deps.db, row.tenantId, async (tx) => {
        const [claimed] = await tx
          .update(subjectRequests)
          .set({ overdueAnnounced: true })
          .where(
            and(
              eq(subjectRequests.id, row.id),
              eq(subjectRequests.overdueAnnounced, false),
              lt(subjectRequests.dueAt, now),
            ),
          )
          .returning();
        if (!claimed) return;
        await this.deps.outbox.enqueue(tx, {
          type: 'privacy.request.overdue',
          tenantId: row.tenantId,
          payloadType: 'parley.privacy.v1.RequestOverdue',
          messageType: privacyV1.RequestOverdue,
          payload: { requestId: row.id, dueAt: row.dueAt },
        });
        await this.deps.audit.append(tx, {
          tenantId: row.tenantId,
          actor: 'service:privacy',
          action: 'request.overdue',
          requestId: row.id,
          details: { dueAt: row.dueAt.toISOString() },
        });
        this.deps.log.warn({ requestId: row.id, tenant: row.tenantId }, 'privacy request is overdue');
        announced += 1;
      });
    }
    return announced;
  }

  /**
   * Starts a retention run for one tenant; returns its id. Refuses (ParticipantsUnavailable) when a
   * participant cannot say what it holds, rather than leaving it out. With `cycle`, a tenant that
   * already has a run for that cycle is not run again (the existing run's id is returned).
   */
  async runRetention(tenantId: string, actor: string, cycle?: Date): Promise<string> {
    if (cycle) {
      const [existing] = await withTenant(this.deps.db, tenantId, (tx) =>
        tx.select({ id: retentionRuns.id }).from(retentionRuns).where(eq(retentionRuns.cycle, cycle)),
      );
      if (existing) return existing.id;
    }
    // Only categories a participant declares now are purged; their defaults come from the same answer.
    const declared: DeclaredRetention[] = [];
    const waitingFor: WaitingFor[] = [];
    for (const name of this.deps.participants.names) {
      try {
        const described = await this.deps.participants.describe(name, tenantId);
        declared.push(...retentionOf(name, described.categories));
      } catch (error) {
        waitingFor.push({ participant: name, reason: reasonOf(error) });
      }
    }
    if (waitingFor.length > 0) throw new ParticipantsUnavailable(waitingFor);
    const policies = await this.deps.ledger.policies(tenantId, declared);
    const due = policies.filter((policy) =>
      declared.some(
        (entry) => entry.participant === policy.participant && entry.category === policy.category,
      ),
    );
    const id = randomUUID();
    const now = this.now();
    await withTenant(this.deps.db, tenantId, async (tx) => {
      const [inserted] = await tx
        .insert(retentionRuns)
        .values({ id, tenantId, state: due.length > 0 ? 'in_progress' : 'completed', cycle: cycle ?? null })
        .onConflictDoNothing()
        .returning({ id: retentionRuns.id });
      // Another replica started this tenant's run for the same cycle a moment ago.
      if (!inserted) return;
      for (const policy of due) {
        const before = new Date(now.getTime() - policy.days * 86_400_000);
        await tx.insert(requestTasks).values({
          tenantId,
          requestId: id,
          participant: policy.participant,
          action: PrivacyAction.PRIVACY_ACTION_PURGE,
          category: policy.category,
          state: 'pending',
        });
        await this.deps.outbox.enqueue(tx, {
          type: privacyTaskEvent(policy.participant),
          tenantId,
          payloadType: 'parley.privacy.v1.PrivacyTask',
          messageType: participantV1.PrivacyTask,
          payload: {
            requestId: id,
            participant: policy.participant,
            action: PrivacyAction.PRIVACY_ACTION_PURGE,
            subject: { accountIds: [], emails: [], phones: [], userIds: [] },
            changesJson: '',
            legalHoldReason: '',
            purposes: [],
            purgeCategory: policy.category,
            purgeBefore: before,
          },
        });
      }
      await this.deps.audit.append(tx, {
        tenantId,
        actor,
        action: 'retention.started',
        requestId: id,
        details: {
          purges: due.map((policy) => `${policy.participant}/${policy.category}:${policy.days}d`),
          ...(cycle ? { cycle: cycle.toISOString() } : {}),
        },
      });
    });
    return id;
  }

  async runs(tenantId: string) {
    return withTenant(this.deps.db, tenantId, async (tx) => {
      const runs = await tx.select().from(retentionRuns).orderBy(retentionRuns.startedAt);
      const tasks =
        runs.length > 0
          ? await tx
              .select()
              .from(requestTasks)
              .where(
                inArray(
                  requestTasks.requestId,
                  runs.map((run) => run.id),
                ),
              )
          : [];
      return runs.reverse().map((run) => ({ run, tasks: tasks.filter((task) => task.requestId === run.id) }));
    });
  }
}
