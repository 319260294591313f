import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Database, Transaction } from '../db/database';

/** What a caller asked, reduced to what makes two requests "the same request". */
export interface RequestIdentity {
  /** The caller's tenant; empty for platform-level callers, who share one scope. */
  tenantId: string;
  principal: string;
  key: string;
  /** See `requestFingerprint`. */
  fingerprint: string;
}

/** An answer worth keeping: what the first request was told. */
export interface StoredAnswer {
  status: number;
  contentType: string;
  body: Buffer;
}

export type IdempotencyClaim =
  /** The key is new (or its earlier holder's lease ran out): carry out the request, then complete or release. */
  | { outcome: 'proceed' }
  /** The same request was answered before: answer exactly that again. */
  | ({ outcome: 'replay' } & StoredAnswer)
  /** The key was used for a different request. */
  | { outcome: 'mismatch' }
  /** The same request is being carried out right now; `retryAfterSeconds` is until its lease runs out. */
  | { outcome: 'in_progress'; retryAfterSeconds: number };

export interface IdempotencyOptions {
  /** How long a request may hold its key before another attempt may take it over (a crashed process). */
  leaseMs: number;
  /** How long a key is remembered after first use (default 24 hours). */
  retentionMs?: number;
}

const printableAscii = /^[\x20-\x7e]{1,255}$/;

/** A valid `Idempotency-Key`: 1 to 255 printable ASCII characters. */
export function isValidIdempotencyKey(value: string): boolean {
  return printableAscii.test(value);
}

/** JSON with object keys sorted at every depth, so `{"a":1,"b":2}` and `{"b":2,"a":1}` are one body. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([name, item]) => `${JSON.stringify(name)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/** SHA-256 over method, path, canonical body, tenant and principal: what one key may stand for. */
export function requestFingerprint(parts: {
  method: string;
  path: string;
  body: unknown;
  tenantId: string;
  principal: string;
}): string {
  return createHash('sha256')
    .update(
      JSON.stringify([
        parts.method.toUpperCase(),
        parts.path,
        canonicalJson(parts.body),
        parts.tenantId,
        parts.principal,
      ]),
    )
    .digest('hex');
}

/**
 * Runs `work` in a transaction scoped to `tenantId` for row-level security. Unlike `withTenant` it also
 * accepts the empty tenant of platform-level callers, whose keys then share the platform's own scope.
 */
async function inScope<T>(db: Database, tenantId: string, work: (tx: Transaction) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select set_config('app.tenant_id', ${tenantId}, true)`);
    return work(tx);
  });
}

interface KeyRow extends Record<string, unknown> {
  fingerprint: string;
  state: 'running' | 'completed';
  lease_ms: number;
  response_status: number | null;
  response_type: string | null;
  response_body: Buffer | null;
}

/**
 * The idempotency-key store (table `kit_idempotency_keys`). `claim` takes a key atomically: one insert
 * that wins for exactly one of any number of concurrent attempts, across processes. The holder then
 * `complete`s it with the answer to keep, or `release`s it when the answer must not be kept (a 5xx,
 * so the client may try again). A claimed key that expired is deleted first; the rest of the expired keys go
 * with the retention sweep (`purgeIdempotencyKeys`).
 */
export class IdempotencyKeys {
  private readonly retentionMs: number;

  constructor(
    private readonly db: Database,
    private readonly options: IdempotencyOptions,
  ) {
    this.retentionMs = options.retentionMs ?? 24 * 60 * 60 * 1000;
  }

  async claim(request: RequestIdentity): Promise<IdempotencyClaim> {
    return inScope(this.db, request.tenantId, async (tx) => {
      // This key, if it expired, may be used afresh; other expired keys go with the retention sweep
      // (purgeIdempotencyKeys), not on every request.
      await tx.execute(
        sql`delete from kit_idempotency_keys
             where tenant_id = ${request.tenantId} and idempotency_key = ${request.key} and expires_at < now()`,
      );
      // Insert, or take over a key whose holder died (same request, lease run out).
      const taken = await tx.execute(sql`
        insert into kit_idempotency_keys
          (tenant_id, idempotency_key, principal, fingerprint, state, lease_until, expires_at)
        values (${request.tenantId}, ${request.key}, ${request.principal}, ${request.fingerprint}, 'running',
                now() + make_interval(secs => ${this.options.leaseMs / 1000}),
                now() + make_interval(secs => ${this.retentionMs / 1000}))
        on conflict (tenant_id, idempotency_key) do update
          set lease_until = excluded.lease_until
          where kit_idempotency_keys.state = 'running'
            and kit_idempotency_keys.lease_until < now()
            and kit_idempotency_keys.fingerprint = excluded.fingerprint
        returning 1`);
      if (taken.rows.length > 0) return { outcome: 'proceed' } as const;
      const existing = await tx.execute<KeyRow>(sql`
        select fingerprint, state, response_status, response_type, response_body,
               greatest(0, extract(epoch from (lease_until - now())) * 1000)::float8 as lease_ms
          from kit_idempotency_keys
         where tenant_id = ${request.tenantId} and idempotency_key = ${request.key}`);
      const row = existing.rows[0];
      // Gone between the two statements (released by its holder): the client may simply retry.
      if (!row) return { outcome: 'in_progress', retryAfterSeconds: 1 } as const;
      if (row.fingerprint !== request.fingerprint) return { outcome: 'mismatch' } as const;
      if (row.state === 'running') {
        return { outcome: 'in_progress', retryAfterSeconds: Math.max(1, Math.ceil(row.lease_ms / 1000)) };
      }
      return {
        outcome: 'replay',
        status: row.response_status ?? 200,
        contentType: row.response_type ?? 'application/json',
        body: row.response_body ?? Buffer.alloc(0),
      } as const;
    });
  }

  /** Stores the answer of a request that holds its key; later claims of the same request replay it. */
  async complete(request: RequestIdentity, answer: StoredAnswer): Promise<void> {
    await inScope(this.db, request.tenantId, (tx) =>
      tx.execute(sql`
        update kit_idempotency_keys
           set state = 'completed', response_status = ${answer.status},
               response_type = ${answer.contentType}, response_body = ${answer.body}
         where tenant_id = ${request.tenantId} and idempotency_key = ${request.key}
           and fingerprint = ${request.fingerprint} and state = 'running'`),
    );
  }

  /** Forgets a key that is still running (its answer is not to be kept); the client may use it again. */
  async release(request: RequestIdentity): Promise<void> {
    await inScope(this.db, request.tenantId, (tx) =>
      tx.execute(sql`
        delete from kit_idempotency_keys
         where tenant_id = ${request.tenantId} and idempotency_key = ${request.key}
           and fingerprint = ${request.fingerprint} and state = 'running'`),
    );
  }
}

/** Deletes a tenant's keys first used before `before` (retention; `tx` is scoped to the tenant). */
export async function purgeIdempotencyKeys(tx: Transaction, before: Date): Promise<number> {
  const gone = await tx.execute(
    sql`delete from kit_idempotency_keys where created_at < ${before} or expires_at < now()`,
  );
  return gone.rowCount ?? 0;
}

/** Deletes the keys a principal used (erasure: stored answers may describe the subject). */
export async function eraseIdempotencyKeys(tx: Transaction, principals: string[]): Promise<number> {
  if (principals.length === 0) return 0;
  let count = 0;
  for (const principal of principals) {
    const gone = await tx.execute(sql`delete from kit_idempotency_keys where principal = ${principal}`);
    count += gone.rowCount ?? 0;
  }
  return count;
}
