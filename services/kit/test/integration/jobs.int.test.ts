import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createDatabase, createLogger, createPool, Jobs, type Database } from '@parley/kit';
import type pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../../../../tests/support/infra';

const repoRoot = join(__dirname, '..', '..', '..', '..');
const log = createLogger({ service: 'kit-test', version: '0', level: 'silent' });

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('kit jobs: durable jobs on PostgreSQL', () => {
  let database: TestDatabase;
  let pool: pg.Pool;
  let db: Database;
  let jobs: Jobs;

  beforeAll(async () => {
    database = await createTestDatabase('jobs');
    pool = createPool(database.url, 4);
    db = createDatabase(pool);
    await pool.query(
      `create table attempts (id bigserial primary key, label text not null, retry_count int not null,
         worker text not null, tenant_id text, at timestamptz not null default clock_timestamp())`,
    );
    await pool.query('create table state_changes (label text primary key)');
    jobs = new Jobs({
      connectionString: database.url,
      schema: 'pgboss',
      service: 'kit-test',
      log,
      tuning: { monitorIntervalSeconds: 1, superviseIntervalSeconds: 1 },
    });
    await jobs.start();
  });

  afterAll(async () => {
    await jobs?.stop(1000);
    await pool?.end();
    await database?.drop();
  });

  const attempts = async (label: string) =>
    (
      await pool.query<{ retry_count: number; worker: string; tenant_id: string | null; at: Date }>(
        'select retry_count, worker, tenant_id, at from attempts where label = $1 order by id',
        [label],
      )
    ).rows;

  describe('delayed jobs', () => {
    it('runs a job no earlier than its startAfter, with its data and tenant', async () => {
      await jobs.work<{ label: string }>(
        'delayed',
        async (job) => {
          await pool.query(
            'insert into attempts (label, retry_count, worker, tenant_id) values ($1, $2, $3, $4)',
            [job.data.label, job.retryCount, 'test', job.tenantId ?? null],
          );
        },
        { pollingIntervalSeconds: 0.5 },
      );
      const sentAt = Date.now();
      await jobs.send('delayed', { label: 'later' }, { startAfter: 3, tenantId: 'acme' });
      await jobs.send('delayed', { label: 'now' });
      await waitFor('the immediate job', async () => (await attempts('now')).length === 1);
      expect(await attempts('later')).toHaveLength(0);
      await waitFor('the delayed job', async () => (await attempts('later')).length === 1);
      const [ran] = await attempts('later');
      expect(ran!.at.getTime() - sentAt).toBeGreaterThanOrEqual(2900);
      expect(ran!.tenant_id).toBe('acme');
    });
  });

  describe('retries', () => {
    it('retries a failing handler with exponential backoff until it succeeds', async () => {
      await jobs.work<{ label: string }>(
        'flaky',
        async (job) => {
          await pool.query('insert into attempts (label, retry_count, worker) values ($1, $2, $3)', [
            job.data.label,
            job.retryCount,
            'test',
          ]);
          if (job.retryCount < 3) throw new Error('dependency down');
        },
        { pollingIntervalSeconds: 0.5 },
      );
      await jobs.send(
        'flaky',
        { label: 'flaky' },
        { retryLimit: 5, retryDelaySeconds: 1, retryBackoff: true },
      );
      await waitFor('the fourth attempt', async () => (await attempts('flaky')).length === 4, 40_000);
      await sleep(500);
      const rows = await attempts('flaky');
      expect(rows.map((row) => row.retry_count)).toEqual([0, 1, 2, 3]);
      const gaps = rows.slice(1).map((row, index) => row.at.getTime() - rows[index]!.at.getTime());
      // Backoff doubles the delay each time (with jitter between half and the whole of it): 0.5-1 s,
      // 1-2 s, 2-4 s. A fixed one-second delay would fail the last bound.
      expect(gaps[0]).toBeGreaterThanOrEqual(450);
      expect(gaps[1]).toBeGreaterThanOrEqual(950);
      expect(gaps[2]).toBeGreaterThanOrEqual(1950);
      const [job] = (await pool.query<{ state: string }>(`select state from pgboss.job where name = 'flaky'`))
        .rows;
      expect(job?.state).toBe('completed');
    });

    it('marks a job failed once its retries are used up, and stops calling the handler', async () => {
      await jobs.work<{ label: string }>(
        'doomed',
        async (job) => {
          await pool.query('insert into attempts (label, retry_count, worker) values ($1, $2, $3)', [
            job.data.label,
            job.retryCount,
            'test',
          ]);
          throw new Error('always fails');
        },
        { pollingIntervalSeconds: 0.5 },
      );
      await jobs.send('doomed', { label: 'doomed' }, { retryLimit: 1, retryDelaySeconds: 0 });
      await waitFor('the job to fail', async () => {
        const { rows } = await pool.query<{ state: string }>(
          `select state from pgboss.job where name = 'doomed'`,
        );
        return rows[0]?.state === 'failed';
      });
      await sleep(1500);
      expect((await attempts('doomed')).map((row) => row.retry_count)).toEqual([0, 1]);
    });
  });

  describe('busy queues', () => {
    const record = (label: string, retryCount: number) =>
      pool.query('insert into attempts (label, retry_count, worker) values ($1, $2, $3)', [
        label,
        retryCount,
        'busy',
      ]);

    it('takes the next jobs at once while there is a backlog, instead of pausing a polling interval after each', async () => {
      for (let index = 0; index < 12; index++) await jobs.send('busy-backlog', { label: `backlog-${index}` });
      await jobs.work<{ label: string }>(
        'busy-backlog',
        (job) => record(job.data.label, job.retryCount).then(),
        {
          concurrency: 2,
          busy: true,
          // Workers that paused this long after each job would need minutes for twelve.
          pollingIntervalSeconds: 30,
        },
      );
      await waitFor(
        'every job of the backlog',
        async () =>
          Number(
            (
              await pool.query<{ n: string }>(
                `select count(*) as n from attempts where label like 'backlog-%'`,
              )
            ).rows[0]?.n,
          ) === 12,
        20_000,
      );
    });

    it('settles each job of a batch on its own: one failing is retried, the other is not run again', async () => {
      await jobs.send('busy-mixed', { label: 'mixed-good' }, { retryLimit: 2, retryDelaySeconds: 0 });
      await jobs.send('busy-mixed', { label: 'mixed-bad' }, { retryLimit: 2, retryDelaySeconds: 0 });
      await jobs.work<{ label: string }>(
        'busy-mixed',
        async (job) => {
          await record(job.data.label, job.retryCount);
          if (job.data.label === 'mixed-bad' && job.retryCount === 0) throw new Error('first attempt fails');
        },
        { concurrency: 2, busy: true, pollingIntervalSeconds: 0.5 },
      );
      await waitFor('the retry of the failed job', async () => (await attempts('mixed-bad')).length === 2);
      await sleep(1500);
      expect((await attempts('mixed-bad')).map((row) => row.retry_count)).toEqual([0, 1]);
      expect((await attempts('mixed-good')).map((row) => row.retry_count)).toEqual([0]);
      const { rows } = await pool.query<{ state: string }>(
        `select state from pgboss.job where name = 'busy-mixed' order by state`,
      );
      expect(rows.map((row) => row.state)).toEqual(['completed', 'completed']);
    });
  });

  describe('sending in a transaction', () => {
    it('runs a job sent in a committed transaction and never one sent in a rolled-back one', async () => {
      await jobs.work<{ label: string }>(
        'transactional',
        async (job) => {
          await pool.query('insert into attempts (label, retry_count, worker) values ($1, $2, $3)', [
            job.data.label,
            job.retryCount,
            'test',
          ]);
        },
        { pollingIntervalSeconds: 0.5 },
      );
      await expect(
        db.transaction(async (tx) => {
          await tx.execute(`insert into state_changes (label) values ('rolled-back')`);
          await jobs.send('transactional', { label: 'rolled-back' }, { tx });
          throw new Error('the state change fails after the job was sent');
        }),
      ).rejects.toThrow('the state change fails');
      await db.transaction(async (tx) => {
        await tx.execute(`insert into state_changes (label) values ('committed')`);
        await jobs.send('transactional', { label: 'committed' }, { tx });
      });
      await waitFor('the committed job', async () => (await attempts('committed')).length === 1);
      await sleep(1500);
      expect(await attempts('rolled-back')).toHaveLength(0);
      const { rows } = await pool.query<{ label: string }>(
        `select data->'payload'->>'label' as label from pgboss.job where name = 'transactional'`,
      );
      expect(rows.map((row) => row.label)).toEqual(['committed']);
    });
  });

  describe('singleton keys', () => {
    it('creates one job for two sends with the same key while the first is queued', async () => {
      await jobs.queue('dedupe', { policy: 'exclusive' });
      const first = await jobs.send('dedupe', { n: 1 }, { singletonKey: 'k1', startAfter: 60 });
      const second = await jobs.send('dedupe', { n: 2 }, { singletonKey: 'k1', startAfter: 60 });
      expect(first).toBeDefined();
      expect(second).toBeUndefined();
      const { rows } = await pool.query(`select id from pgboss.job where name = 'dedupe'`);
      expect(rows).toHaveLength(1);
    });

    it('creates one job for two sends with the same id, on any queue', async () => {
      const id = '0b4c3f4e-8a7d-4d5e-9f00-3a1b2c3d4e5f';
      expect(await jobs.send('same-id', { n: 1 }, { id, startAfter: 60 })).toBe(id);
      expect(await jobs.send('same-id', { n: 2 }, { id, startAfter: 60 })).toBeUndefined();
      const { rows } = await pool.query(`select data from pgboss.job where name = 'same-id'`);
      expect(rows).toEqual([{ data: { payload: { n: 1 } } }]);
    });
  });

  describe('MIGRATIONS=verify', () => {
    it('refuses to start on a database whose queue schema was never installed, and starts once it is', async () => {
      const fresh = await createTestDatabase('jobs_verify');
      const options = { connectionString: fresh.url, schema: 'pgboss', service: 'kit-test', log };
      try {
        const unmigrated = new Jobs(options);
        await expect(unmigrated.start({ migrate: false })).rejects.toThrow('pg-boss is not installed');
        await unmigrated.stop(1000);
        // What the `migrate` command (and the Helm hook) does before verify-mode replicas start.
        await new Jobs(options).migrate();
        const verified = new Jobs(options);
        await verified.start({ migrate: false });
        expect(await verified.send('after-verify', { ok: true })).toBeDefined();
        await verified.stop(1000);
      } finally {
        await fresh.drop();
      }
    });
  });

  describe('a worker killed mid-job', () => {
    let child: ChildProcess | undefined;
    afterAll(() => {
      child?.kill('SIGKILL');
    });

    it('gets the job retried by another worker instead of losing it', async () => {
      child = spawn(
        process.execPath,
        ['--conditions=parley-source', '--import', 'tsx', join(__dirname, 'fixtures', 'jobWorker.ts')],
        {
          cwd: repoRoot,
          env: { ...process.env, DATABASE_URL: database.url },
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      const spawned = child;
      await new Promise<void>((resolve, reject) => {
        spawned.stdout?.on('data', (chunk: Buffer) => {
          if (chunk.toString().includes('ready')) resolve();
        });
        spawned.once('exit', (code) =>
          reject(new Error(`job worker exited with ${code} before it was ready`)),
        );
      });
      await jobs.send('slow', { label: 'killed' });
      await waitFor('the child to start the job', async () => (await attempts('killed')).length === 1);
      await new Promise<void>((resolve) => {
        spawned.once('exit', () => resolve());
        spawned.kill('SIGKILL');
      });
      // This process takes over the queue; the job it finds is the one the dead worker held.
      await jobs.work<{ label: string }>(
        'slow',
        async (job) => {
          await pool.query('insert into attempts (label, retry_count, worker) values ($1, $2, $3)', [
            job.data.label,
            job.retryCount,
            'survivor',
          ]);
        },
        { expireInSeconds: 2, retryLimit: 3, pollingIntervalSeconds: 0.5 },
      );
      await waitFor('the job to be retried', async () => (await attempts('killed')).length === 2, 30_000);
      const rows = await attempts('killed');
      expect(rows.map((row) => [row.worker, row.retry_count])).toEqual([
        ['child', 0],
        ['survivor', 1],
      ]);
      const { rows: states } = await pool.query<{ state: string }>(
        `select state from pgboss.job where name = 'slow'`,
      );
      expect(states.map((row) => row.state)).toEqual(['completed']);
    });
  });
});
