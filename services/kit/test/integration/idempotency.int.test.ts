import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Metadata } from '@grpc/grpc-js';
import { sql } from 'drizzle-orm';
import {
  callerMetadata,
  createDatabase,
  createLogger,
  createPool,
  IdempotencyKeys,
  locateAssets,
  migrate,
  onceForRequest,
  requestFingerprint,
  requestIdFrom,
  runWithContext,
  SharedRateLimiter,
  withTenant,
  type Database,
  type RequestIdentity,
} from '@parley/kit';
import type pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../../../../tests/support/infra';
import { testTokens } from '../../../../tests/support/callers';

describe('kit idempotency and shared rate limits', () => {
  let database: TestDatabase;
  let pool: pg.Pool;
  let db: Database;

  beforeAll(async () => {
    database = await createTestDatabase('idem');
    pool = createPool(database.url, 6);
    db = createDatabase(pool);
    const log = createLogger({ service: 'kit-test', version: 'test', level: 'silent' });
    await migrate(pool, [locateAssets(__dirname).migrations[0]!], { mode: 'apply', log });
    await pool.query('create table effects (tenant_id text not null, note text not null)');
  });

  afterAll(async () => {
    await pool.end();
    await database.drop();
  });

  const identity = (key: string, body: unknown, tenantId = 'acme'): RequestIdentity => ({
    tenantId,
    principal: 'api-key:1',
    key,
    fingerprint: requestFingerprint({
      method: 'POST',
      path: '/v1/things',
      body,
      tenantId,
      principal: 'api-key:1',
    }),
  });

  describe('IdempotencyKeys', () => {
    it('lets the first claim proceed, replays its answer, and refuses the key for another body', async () => {
      const keys = new IdempotencyKeys(db, { leaseMs: 60_000 });
      const first = identity('k-1', { b: 2, a: 1 });
      expect(await keys.claim(first)).toEqual({ outcome: 'proceed' });
      expect(await keys.claim(identity('k-1', { a: 1, b: 2 }))).toMatchObject({ outcome: 'in_progress' });
      await keys.complete(first, {
        status: 201,
        contentType: 'application/json',
        body: Buffer.from('{"id":7}'),
      });
      const replay = await keys.claim(identity('k-1', { a: 1, b: 2 }));
      expect(replay).toMatchObject({ outcome: 'replay', status: 201, contentType: 'application/json' });
      expect((replay as { body: Buffer }).body.toString()).toBe('{"id":7}');
      expect(await keys.claim(identity('k-1', { a: 1, b: 3 }))).toEqual({ outcome: 'mismatch' });
      // Another tenant's key of the same name is its own.
      expect(await keys.claim(identity('k-1', { a: 1, b: 3 }, 'globex'))).toEqual({ outcome: 'proceed' });
    });

    it('gives exactly one of many concurrent claims the key', async () => {
      const keys = new IdempotencyKeys(db, { leaseMs: 60_000 });
      const claims = await Promise.all(
        Array.from({ length: 6 }, () => keys.claim(identity('k-race', { n: 1 }))),
      );
      expect(claims.filter((claim) => claim.outcome === 'proceed')).toHaveLength(1);
      expect(claims.filter((claim) => claim.outcome === 'in_progress')).toHaveLength(5);
    });

    it('lets a retry take over a key whose holder died once its lease ran out', async () => {
      const keys = new IdempotencyKeys(db, { leaseMs: 1_000 });
      const request = identity('k-crash', { n: 1 });
      expect(await keys.claim(request)).toEqual({ outcome: 'proceed' });
      // The holder "crashes": it never completes nor releases.
      expect(await keys.claim(request)).toMatchObject({ outcome: 'in_progress', retryAfterSeconds: 1 });
      await new Promise((resolve) => setTimeout(resolve, 1_200));
      expect(await keys.claim(identity('k-crash', { n: 2 }))).toEqual({ outcome: 'mismatch' });
      expect(await keys.claim(request)).toEqual({ outcome: 'proceed' });
    });

    it('forgets a released key (a 5xx), and expired keys', async () => {
      const keys = new IdempotencyKeys(db, { leaseMs: 60_000, retentionMs: 500 });
      const request = identity('k-release', { n: 1 });
      expect(await keys.claim(request)).toEqual({ outcome: 'proceed' });
      await keys.release(request);
      expect(await keys.claim(request)).toEqual({ outcome: 'proceed' });
      await keys.complete(request, { status: 200, contentType: 'application/json', body: Buffer.from('{}') });
      await new Promise((resolve) => setTimeout(resolve, 700));
      // Expired: a new request may use the key, and the old answer is gone.
      expect(await keys.claim(identity('k-release', { n: 2 }))).toEqual({ outcome: 'proceed' });
    });

    it('keeps each tenant behind row-level security', async () => {
      const visible = await withTenant(db, 'globex', (tx) =>
        tx.execute<{ key: string }>(sql`select idempotency_key as key from kit_idempotency_keys`),
      );
      expect(visible.rows.map((row) => row.key)).toEqual(['k-1']);
      const none = await db.execute<{ n: number }>(sql`select count(*)::int as n from kit_idempotency_keys`);
      expect(none.rows[0]?.n).toBe(0);
    });
  });

  describe('onceForRequest', () => {
    const create = (requestId: string | undefined, note: string, pause = 0) =>
      withTenant(db, 'acme', (tx) =>
        onceForRequest(tx, { requestId, operation: 'CreateThing' }, async () => {
          await tx.execute(sql`insert into effects (tenant_id, note) values ('acme', ${note})`);
          if (pause) await new Promise((resolve) => setTimeout(resolve, pause));
          return { note };
        }),
      );
    const effects = async (note: string) =>
      Number(
        (await pool.query<{ n: string }>('select count(*) as n from effects where note = $1', [note])).rows[0]
          ?.n,
      );

    it('carries out a request id once and returns the stored result to a retry', async () => {
      expect(await create('req-1', 'one')).toEqual({ result: { note: 'one' }, replayed: false });
      expect(await create('req-1', 'one-again')).toEqual({ result: { note: 'one' }, replayed: true });
      expect(await effects('one')).toBe(1);
      expect(await effects('one-again')).toBe(0);
    });

    it('carries out concurrent duplicates once', async () => {
      const results = await Promise.all([create('req-2', 'two', 300), create('req-2', 'two', 0)]);
      expect(results.map((result) => result.replayed).sort()).toEqual([false, true]);
      expect(await effects('two')).toBe(1);
    });

    it('runs again after a failed attempt rolled back, and always without a request id', async () => {
      await expect(
        withTenant(db, 'acme', (tx) =>
          onceForRequest(tx, { requestId: 'req-3', operation: 'CreateThing' }, async () => {
            await tx.execute(sql`insert into effects (tenant_id, note) values ('acme', 'three')`);
            throw new Error('upstream failed');
          }),
        ),
      ).rejects.toThrow('upstream failed');
      expect(await create('req-3', 'three')).toEqual({ result: { note: 'three' }, replayed: false });
      await create(undefined, 'free');
      await create(undefined, 'free');
      expect(await effects('three')).toBe(1);
      expect(await effects('free')).toBe(2);
    });
  });

  describe('request id in gRPC metadata', () => {
    it('is sent with the caller and forwarded from the request being served', async () => {
      const tokens = testTokens;
      const caller = { tenantId: 'acme', principal: 'test', scopes: ['*'] };
      expect(requestIdFrom(await callerMetadata(tokens, caller, 'idem-abc'))).toBe('idem-abc');
      const forwarded = await runWithContext({ requestId: 'req-9' }, () => callerMetadata(tokens, caller));
      expect(requestIdFrom(forwarded)).toBe('req-9');
      const bad = new Metadata();
      bad.set('parley-request-id', 'has a space');
      expect(requestIdFrom(bad)).toBeUndefined();
    });
  });

  describe('SharedRateLimiter', () => {
    it('shares one counter between limiters on the same database and refuses past the limit', async () => {
      const otherPool = createPool(database.url, 2);
      try {
        const policy = { name: 'test', points: 3, windowSeconds: 60 };
        const a = new SharedRateLimiter({ pool });
        const b = new SharedRateLimiter({ pool: otherPool });
        const decisions = [];
        for (const limiter of [a, b, a, b]) decisions.push(await limiter.consume(policy, 'sender-1'));
        expect(decisions.map((decision) => decision.allowed)).toEqual([true, true, true, false]);
        expect(decisions.map((decision) => decision.remaining)).toEqual([2, 1, 0, 0]);
        expect(decisions[3]!.resetSeconds).toBeGreaterThanOrEqual(1);
        expect((await a.consume(policy, 'sender-2')).allowed).toBe(true);
        // A higher limit for the same family applies to the window under way.
        expect((await b.consume({ ...policy, points: 10 }, 'sender-1')).allowed).toBe(true);
      } finally {
        await otherPool.end();
      }
    });

    it('keeps limiting in memory, at 1/replicas of the limit, while PostgreSQL is unreachable', async () => {
      const deadPool = createPool('postgres://nobody:nothing@127.0.0.1:1/none', 1);
      try {
        const limiter = new SharedRateLimiter({ pool: deadPool, replicas: 2 });
        const policy = { name: 'down', points: 4, windowSeconds: 60 };
        const allowed = [];
        for (let index = 0; index < 3; index += 1)
          allowed.push((await limiter.consume(policy, 'sender-1')).allowed);
        expect(allowed).toEqual([true, true, false]);
      } finally {
        await deadPool.end();
      }
    });
  });
});
