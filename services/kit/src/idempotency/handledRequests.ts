import { sql } from 'drizzle-orm';
import type { Transaction } from '../db/database';

/** Turns a result into bytes and back; JSON by default, or a ts-proto message's encode/decode. */
export interface ResultCodec<T> {
  encode(value: T): Uint8Array;
  decode(bytes: Uint8Array): T;
}

export const jsonCodec = <T>(): ResultCodec<T> => ({
  encode: (value) => Buffer.from(JSON.stringify(value ?? null)),
  decode: (bytes) => JSON.parse(Buffer.from(bytes).toString('utf8')) as T,
});

const requestIdPattern = /^[\x21-\x7e]{1,200}$/;

/** A usable request id: 1-200 visible ASCII characters. */
export function isValidRequestId(value: string): boolean {
  return requestIdPattern.test(value);
}

export interface OnceOptions<T> {
  /** The request id the call carried (`RpcContext.requestId`); without one the work simply runs. */
  requestId: string | undefined;
  /** Names what is deduplicated (e.g. the RPC), so one request may carry out several operations. */
  operation: string;
  codec?: ResultCodec<T>;
}

/**
 * Carries out `work` once per (tenant, request id, operation), inside the caller's transaction `tx`
 * (scoped to the tenant with `withTenant`). The first call records the request id and, with the same
 * commit as its effect, the result; a later call with the same request id returns that result without
 * running `work`. A concurrent duplicate waits on the first one's row: it sees the stored result once the
 * first commits, or carries out the work itself if the first rolls back. Nothing is recorded when `work`
 * throws, because the transaction rolls back.
 */
export async function onceForRequest<T>(
  tx: Transaction,
  options: OnceOptions<T>,
  work: () => Promise<T>,
): Promise<{ result: T; replayed: boolean }> {
  if (!options.requestId) return { result: await work(), replayed: false };
  const codec = options.codec ?? jsonCodec<T>();
  const inserted = await tx.execute(sql`
    insert into kit_handled_requests (request_id, operation) values (${options.requestId}, ${options.operation})
    on conflict do nothing returning 1`);
  if (inserted.rows.length === 0) {
    const stored = await tx.execute<{ result: Buffer | null }>(sql`
      select result from kit_handled_requests
       where tenant_id = current_setting('app.tenant_id', true)
         and request_id = ${options.requestId} and operation = ${options.operation}`);
    const bytes = stored.rows[0]?.result;
    if (bytes) return { result: codec.decode(bytes), replayed: true };
  }
  const result = await work();
  await tx.execute(sql`
    update kit_handled_requests set result = ${Buffer.from(codec.encode(result))}
     where tenant_id = current_setting('app.tenant_id', true)
       and request_id = ${options.requestId} and operation = ${options.operation}`);
  return { result, replayed: false };
}

/** Deletes a tenant's handled-request records older than `before` (they only need to outlive retries). */
export async function purgeHandledRequests(tx: Transaction, before: Date): Promise<number> {
  const gone = await tx.execute(sql`delete from kit_handled_requests where handled_at < ${before}`);
  return gone.rowCount ?? 0;
}
