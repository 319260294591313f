import { randomUUID } from 'node:crypto';
import { and, eq, inArray, lt } from 'drizzle-orm';
import { metrics } from '@opentelemetry/api';
import {
  PrivacyAction,
  privacyTaskEvent,
  withTenant,
  type Database,
  type Logger,
  type Outbox,
} from '@parley/kit';
import { participantV1, privacyV1 } from '@parley/proto';
import { requestTasks, retentionRuns, subjectRequests } from './db/schema';
import type { AuditLog } from './db/audit';
import type { Ledger } from './ledger';
import type { Participants } from './participants';
import { openStates } from './domain/requests';

const meter = metrics.getMeter('parley-privacy');

/**
 * Retention enforcement and deadline watching. A retention run asks each participant to purge, per
 * category with a policy, what is older than the policy allows (one durable task per category); the run
 * completes when every receipt is in, and the receipts are the report. The deadline scan announces each
 * request that passes its deadline once (an event and an audit entry) and keeps the gauges current.
 */
export class Scheduling {
  private overdue = 0;
  private dueSoon = 0;
  private timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly deps: {
      db: Database;
      outbox: Outbox;
      audit: AuditLog;
      ledger: Ledger;
      participants: Participants;
      log: Logger;
      tenants: () => Promise<string[]>;
      now?: () => Date;
    },
  ) {
    meter
      .createObservableGauge('privacy_requests_overdue', {
        description: 'Open data-subject requests past their legal deadline',
      })
      .addCallback((result) => result.observe(this.overdue));
    meter
      .createObservableGauge('privacy_requests_due_soon', {
        description: 'Open data-subject requests due within 7 days',
      })
      .addCallback((result) => result.observe(this.dueSoon));
  }

  private now() {
    return this.deps.now?.() ?? new Date();
  }

  /** Starts the periodic scans; an interval of 0 turns one off. */
  start(scanMs: number, retentionMs: number): void {
    if (scanMs > 0)
      this.timers.push(
        setInterval(
          () =>
            void this.scanDeadlines().catch((error: unknown) =>
              this.deps.log.warn({ err: error }, 'deadline scan failed'),
            ),
          scanMs,
        ),
      );
    if (retentionMs > 0) {
      this.timers.push(
        setInterval(
          () =>
            void this.retentionForAll().catch((error: unknown) =>
              this.deps.log.warn({ err: error }, 'retention run failed'),
            ),
          retentionMs,
        ),
      );
    }
  }

  stop(): void {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
  }

  async scanDeadlines(): Promise<number> {
    const now = this.now();
    const open = await withTenant(this.deps.db, 'platform', (tx) =>
      tx.select().from(subjectRequests).where(inArray(subjectRequests.state, openStates)),
    );
    this.overdue = open.filter((row) => !row.pausedAt && row.dueAt < now).length;
    this.dueSoon = open.filter(
      (row) => !row.pausedAt && row.dueAt >= now && row.dueAt.getTime() - now.getTime() < 7 * 86_400_000,
    ).length;
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

  async retentionForAll(): Promise<void> {
    for (const tenantId of await this.deps.tenants()) await this.runRetention(tenantId, 'service:privacy');
  }

  /** Starts a retention run for one tenant; returns its id. */
  async runRetention(tenantId: string, actor: string): Promise<string> {
    // Only categories a participant declares now are purged; their defaults come from the same answer.
    const declared = await this.deps.participants.declaredRetention(tenantId);
    const policies = await this.deps.ledger.policies(tenantId, declared);
    const due = policies.filter((policy) =>
      declared.some(
        (entry) => entry.participant === policy.participant && entry.category === policy.category,
      ),
    );
    const id = randomUUID();
    const now = this.now();
    await withTenant(this.deps.db, tenantId, async (tx) => {
      await tx
        .insert(retentionRuns)
        .values({ id, tenantId, state: due.length > 0 ? 'in_progress' : 'completed' });
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
        details: { purges: due.map((policy) => `${policy.participant}/${policy.category}:${policy.days}d`) },
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
