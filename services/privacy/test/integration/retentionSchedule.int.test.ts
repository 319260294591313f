import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { and, asc, eq, like } from 'drizzle-orm';
import { call, createClient, createDatabase, createPool, withTenant, type Database } from '@parley/kit';
import { identityV1 } from '@parley/proto';
import type pg from 'pg';
import { freePort } from '../../../../tools/dev/src/ports';
import { startServiceProcess } from '../../../../tests/support/serviceProcess';
import { asPlatform, TEST_SUBJECT_HASH_KEY, testTokenEnv } from '../../../../tests/support/callers';
import {
  createTestDatabase,
  testInfra,
  uniquePrefix,
  type TestDatabase,
} from '../../../../tests/support/infra';
import { startService, type RunningService } from '../../../../tests/support/service';
import { startIdentity, type IdentityApp } from '../../../identity/test/integration/identityForTests';
import { buildApp, type PrivacyApp } from '../../src/app';
import { loadConfig } from '../../src/config';
import { auditLog, retentionCycles, retentionRuns, subjectRequests } from '../../src/db/schema';

const TENANT = 'acme';

async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await check();
    if (value) return value;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** HH:MM (UTC) of a moment `minutes` ago: a daily schedule whose last run time has just passed. */
function minutesAgo(minutes: number): { runAt: string; period: Date } {
  const then = new Date(Date.now() - minutes * 60_000);
  then.setUTCSeconds(0, 0);
  const pad = (value: number) => String(value).padStart(2, '0');
  return { runAt: `${pad(then.getUTCHours())}:${pad(then.getUTCMinutes())}`, period: then };
}

async function createTenant(identity: RunningService<IdentityApp>, id: string): Promise<void> {
  const client = createClient(identityV1.IdentityServiceClient, identity.address, {
    serviceName: 'parley.identity.v1.IdentityService',
  });
  try {
    await call(
      client,
      client.createTenant,
      {
        id,
        name: `Tenant ${id}`,
        tenancyMode: identityV1.TenancyMode.TENANCY_MODE_POOLED,
        jurisdiction: identityV1.Jurisdiction.JURISDICTION_GDPR,
        minimumAge: 0,
      },
      await asPlatform(),
    );
  } finally {
    client.close();
  }
}

function privacyEnv(
  database: TestDatabase,
  natsPrefix: string,
  extra: Record<string, string>,
): Record<string, string> {
  return {
    DATABASE_URL: database.url,
    NATS_URL: testInfra().natsUrl,
    NATS_PREFIX: natsPrefix,
    GRPC_HOST: '127.0.0.1',
    METRICS_PORT: '0',
    LOG_LEVEL: process.env.PARLEY_TEST_LOG_LEVEL ?? 'silent',
    SHUTDOWN_TIMEOUT_MS: '2000',
    ...testTokenEnv('privacy'),
    SUBJECT_HASH_KEY: TEST_SUBJECT_HASH_KEY,
    PRIVACY_ARCHIVE_KEY: 'test-archive-key-0123456789abcdefghijkl',
    NOTIFICATIONS: 'mailbox',
    DEADLINE_SCAN_CRON: 'off',
    ...extra,
  };
}

const cyclesIn = (db: Database) => db.select().from(retentionCycles).orderBy(asc(retentionCycles.period));
const runsIn = (db: Database) =>
  withTenant(db, TENANT, (tx) => tx.select().from(retentionRuns).orderBy(asc(retentionRuns.startedAt)));
const cycleAudit = (db: Database) =>
  withTenant(db, 'platform', (tx) =>
    tx
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.tenantId, 'platform'), like(auditLog.action, 'retention.cycle.%')))
      .orderBy(asc(auditLog.id)),
  );

describe('privacy retention on the job queue', () => {
  let identity: RunningService<IdentityApp>;
  const natsPrefix = uniquePrefix('retention');

  beforeAll(async () => {
    identity = await startIdentity({ NATS_PREFIX: natsPrefix });
    await createTenant(identity, TENANT);
  });

  afterAll(async () => {
    await identity?.stop();
  });

  describe('a missed run', () => {
    let database: TestDatabase;
    let pool: pg.Pool;
    let db: Database;
    let app: PrivacyApp | undefined;

    beforeAll(async () => {
      database = await createTestDatabase('privacy_missed');
      pool = createPool(database.url, 2);
      db = createDatabase(pool);
    });

    afterAll(async () => {
      await app?.stop();
      await pool?.end();
      await database?.drop();
    });

    it('is made up at start-up when the last scheduled time passed while no replica ran', async () => {
      const { runAt, period } = minutesAgo(5);
      const grpcPort = await freePort();
      const env = privacyEnv(database, natsPrefix, {
        GRPC_PORT: String(grpcPort),
        IDENTITY_ADDR: identity.address,
        PRIVACY_PARTICIPANTS: `identity=${identity.address},privacy=127.0.0.1:${grpcPort}`,
        RETENTION_RUN_AT: runAt,
      });
      // Yesterday's run happened; today's scheduled time passed five minutes ago with nothing running.
      const migrating = buildApp(loadConfig(env));
      await migrating.migrate();
      await migrating.stop();
      const yesterday = new Date(period.getTime() - 86_400_000);
      await db
        .insert(retentionCycles)
        .values({ period: yesterday, state: 'completed', attempts: 1, waitingFor: [] });

      app = buildApp(loadConfig(env));
      await app.start();
      const today = await waitFor('the missed run to be made up', async () => {
        const cycle = (await cyclesIn(db)).find((row) => row.period.getTime() === period.getTime());
        return cycle?.state === 'completed' ? cycle : undefined;
      });
      expect(today.attempts).toBe(1);
      const runs = await runsIn(db);
      expect(runs.map((run) => run.cycle?.toISOString())).toEqual([period.toISOString()]);

      // A restart now owes nothing: the last scheduled run has happened.
      await app.stop();
      app = buildApp(loadConfig(env));
      await app.start();
      await new Promise((resolve) => setTimeout(resolve, 3000));
      expect((await cyclesIn(db)).map((row) => [row.period.toISOString(), row.attempts])).toEqual([
        [yesterday.toISOString(), 1],
        [period.toISOString(), 1],
      ]);
      expect(await runsIn(db)).toHaveLength(1);

      // The scheduled job for a period a replica made up as it started finds the period done: no run,
      // and no attempt counted.
      await app.scheduling.retentionCycle(period, { attempt: 0, lastAttempt: false });
      expect((await cyclesIn(db)).map((row) => [row.period.toISOString(), row.attempts])).toEqual([
        [yesterday.toISOString(), 1],
        [period.toISOString(), 1],
      ]);
      expect(await runsIn(db)).toHaveLength(1);
    });
  });

  describe('a participant that is down', () => {
    let database: TestDatabase;
    let pool: pg.Pool;
    let db: Database;
    let app: PrivacyApp | undefined;
    let lateIdentity: RunningService<IdentityApp> | undefined;

    beforeAll(async () => {
      database = await createTestDatabase('privacy_down');
      pool = createPool(database.url, 2);
      db = createDatabase(pool);
    });

    afterAll(async () => {
      await app?.stop();
      await lateIdentity?.stop();
      await pool?.end();
      await database?.drop();
    });

    it('holds the run back, reports which participant it waits for, retries, and completes when it is back', async () => {
      const { runAt, period } = minutesAgo(2);
      const [grpcPort, identityPort] = [await freePort(), await freePort()];
      const env = privacyEnv(database, natsPrefix, {
        GRPC_PORT: String(grpcPort),
        // identity (the tenant directory and a participant) is not running yet.
        IDENTITY_ADDR: `127.0.0.1:${identityPort}`,
        PRIVACY_PARTICIPANTS: `identity=127.0.0.1:${identityPort},privacy=127.0.0.1:${grpcPort}`,
        RETENTION_RUN_AT: runAt,
        RETENTION_RETRY_DELAY_SECONDS: '1',
      });
      app = buildApp(loadConfig(env));
      await app.start();

      const retrying = await waitFor('the run to be retried while identity is down', async () => {
        const [cycle] = await cyclesIn(db);
        return cycle && cycle.state === 'retrying' && cycle.attempts >= 2 ? cycle : undefined;
      });
      expect(retrying.period.toISOString()).toBe(period.toISOString());
      expect(retrying.waitingFor).toEqual([{ participant: 'identity', reason: 'UNAVAILABLE' }]);
      const reported = await cycleAudit(db);
      expect(reported[0]).toMatchObject({
        actor: 'service:privacy',
        action: 'retention.cycle.retrying',
        details: {
          period: period.toISOString(),
          attempt: 1,
          waitingFor: [{ participant: 'identity', reason: 'UNAVAILABLE' }],
        },
      });
      expect(await runsIn(db)).toHaveLength(0);

      // identity comes back (on the address privacy knows) with its tenant.
      lateIdentity = await startIdentity({ NATS_PREFIX: natsPrefix, GRPC_PORT: String(identityPort) });
      await createTenant(lateIdentity, TENANT);

      const completed = await waitFor(
        'the run to complete once identity is back',
        async () => {
          const [cycle] = await cyclesIn(db);
          return cycle?.state === 'completed' ? cycle : undefined;
        },
        90_000,
      );
      expect(completed.waitingFor).toEqual([]);
      expect(completed.completedAt).not.toBeNull();
      const runs = await runsIn(db);
      expect(runs.map((run) => run.cycle?.toISOString())).toEqual([period.toISOString()]);
      const actions = (await cycleAudit(db)).map((entry) => entry.action);
      expect(actions.at(-1)).toBe('retention.cycle.completed');
      expect(actions.slice(0, -1).every((action) => action === 'retention.cycle.retrying')).toBe(true);
    }, 150_000);
  });

  describe('the deadline scan', () => {
    let service: RunningService<PrivacyApp>;

    beforeAll(async () => {
      service = await startService('privacy_deadlines', (env) => buildApp(loadConfig(env)), {
        IDENTITY_ADDR: identity.address,
        PRIVACY_PARTICIPANTS: `identity=${identity.address}`,
        PRIVACY_ARCHIVE_KEY: 'test-archive-key-0123456789abcdefghijkl',
        NOTIFICATIONS: 'mailbox',
        RETENTION_RUN_AT: 'off',
        DEADLINE_SCAN_CRON: '*/5 * * * *',
      });
    });

    afterAll(async () => {
      await service?.stop();
    });

    it('is scheduled on the queue and announces an overdue request once', async () => {
      const { db, pool } = service.app.runtime;
      const { rows: schedules } = await pool.query<{ cron: string; timezone: string }>(
        `select cron, timezone from pgboss.schedule where name = 'privacy-deadline-scan'`,
      );
      expect(schedules).toEqual([{ cron: '*/5 * * * *', timezone: 'UTC' }]);
      const [request] = await withTenant(db, TENANT, (tx) =>
        tx
          .insert(subjectRequests)
          .values({
            tenantId: TENANT,
            type: 'access',
            state: 'in_progress',
            dueAt: new Date(Date.now() - 60_000),
            jurisdiction: 'gdpr',
            subject: { email: 'late@privacy.example' },
            identifiers: { accountIds: [], emails: ['late@privacy.example'], phones: [], userIds: [] },
            extended: false,
            pausedMs: 0,
            requester: 'test',
            overdueAnnounced: false,
          })
          .returning(),
      );
      // What the schedule sends each period, sent twice now: the second scan finds nothing new.
      await service.app.runtime.jobs.send('privacy-deadline-scan', {});
      await service.app.runtime.jobs.send('privacy-deadline-scan', {});
      await waitFor('both scans to run', async () => {
        const { rows } = await pool.query<{ n: number }>(
          `select count(*)::int as n from pgboss.job where name = 'privacy-deadline-scan' and state = 'completed'`,
        );
        return rows[0]!.n === 2;
      });
      const announced = await withTenant(db, TENANT, (tx) =>
        tx.select().from(auditLog).where(eq(auditLog.action, 'request.overdue')),
      );
      expect(announced.map((entry) => entry.requestId)).toEqual([request!.id]);
      const [row] = await withTenant(db, TENANT, (tx) =>
        tx.select().from(subjectRequests).where(eq(subjectRequests.id, request!.id)),
      );
      expect(row?.overdueAnnounced).toBe(true);
    });
  });

  describe('two privacy processes on one database', () => {
    let database: TestDatabase;
    let pool: pg.Pool;
    let db: Database;
    const children: ChildProcess[] = [];

    beforeAll(async () => {
      database = await createTestDatabase('privacy_two');
      pool = createPool(database.url, 2);
      db = createDatabase(pool);
    });

    afterAll(async () => {
      await Promise.all(
        children.map(
          (child) =>
            new Promise<void>((resolve) => {
              if (child.exitCode !== null || child.signalCode !== null) return resolve();
              child.once('exit', () => resolve());
              child.kill('SIGTERM');
              setTimeout(() => child.kill('SIGKILL'), 8000).unref();
            }),
        ),
      );
      await pool?.end();
      await database?.drop();
    });

    const startPrivacyProcess = (env: Record<string, string>) =>
      startServiceProcess('privacy', env, children);

    it('runs a cron job exactly once per period', async () => {
      const [portA, portB] = [await freePort(), await freePort()];
      const common = {
        IDENTITY_ADDR: identity.address,
        PRIVACY_PARTICIPANTS: `identity=${identity.address},privacy=127.0.0.1:${portA}`,
        // The finest period the queue schedules: every minute.
        RETENTION_CRON: '* * * * *',
        DEADLINE_SCAN_CRON: '* * * * *',
      };
      await Promise.all([
        startPrivacyProcess(privacyEnv(database, natsPrefix, { ...common, GRPC_PORT: String(portA) })),
        startPrivacyProcess(privacyEnv(database, natsPrefix, { ...common, GRPC_PORT: String(portB) })),
      ]);
      const started = new Date();

      // Two whole periods that began after both processes were up, each handled.
      const scheduled = await waitFor(
        'two scheduled periods to be handled',
        async () => {
          const cycles = (await cyclesIn(db)).filter((cycle) => cycle.period > started);
          return cycles.length >= 2 && cycles.slice(0, 2).every((cycle) => cycle.state === 'completed')
            ? cycles.slice(0, 2)
            : undefined;
        },
        200_000,
      );
      // Let a duplicate, if either process were to make one, show up.
      await new Promise((resolve) => setTimeout(resolve, 10_000));

      expect(scheduled[1]!.period.getTime() - scheduled[0]!.period.getTime()).toBe(60_000);
      const cycles = await cyclesIn(db);
      const runs = await runsIn(db);
      for (const period of scheduled.map((cycle) => cycle.period)) {
        const cycle = cycles.find((row) => row.period.getTime() === period.getTime());
        // The handler ran once for the period (again only after a recorded retry: a participant too slow
        // on a loaded machine), and the tenant got one run from it.
        const retries = (await cycleAudit(db)).filter(
          (entry) =>
            entry.action === 'retention.cycle.retrying' &&
            (entry.details as { period?: string }).period === period.toISOString(),
        ).length;
        expect(cycle?.attempts).toBe(1 + retries);
        expect(runs.filter((run) => run.cycle?.getTime() === period.getTime())).toHaveLength(1);
        // pg-boss created one job for the period, though both processes schedule it.
        for (const queue of ['privacy-retention', 'privacy-deadline-scan']) {
          const { rows } = await pool.query<{ n: number }>(
            `select count(*)::int as n from pgboss.job
              where name = $1 and data->'payload'->>'period' is null
                and created_on >= $2 and created_on < $2::timestamptz + interval '1 minute'`,
            [queue, period],
          );
          expect({ queue, period: period.toISOString(), jobs: rows[0]?.n }).toEqual({
            queue,
            period: period.toISOString(),
            jobs: 1,
          });
        }
      }
      // Every cycle, the start-up one included, ran each tenant once.
      expect(new Set(runs.map((run) => run.cycle?.toISOString())).size).toBe(runs.length);
      expect(children.every((child) => child.exitCode === null)).toBe(true);
    }, 260_000);
  });
});
