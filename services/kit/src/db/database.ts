import { createHash } from 'node:crypto';
import pg from 'pg';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import { sql, type SQL } from 'drizzle-orm';
import { invalidArgument } from '../errors';

export type Database = NodePgDatabase<Record<string, never>>;
/** A transaction handle; the same query API as `Database`. */
export type Transaction = Parameters<Parameters<Database['transaction']>[0]>[0];

/** At most this many statements are kept prepared on one connection; the rest are sent as before. */
export const PREPARED_PER_CONNECTION = 256;
/** Longer statements (many-row inserts, long lists) are not worth keeping. */
const PREPARED_TEXT_LIMIT = 4_000;

/**
 * A connection that keeps its parameterised statements prepared: each statement text gets a name (a digest
 * of the text), so PostgreSQL parses and plans it once per connection and later runs only bind and execute
 * it (each statement's parse and plan was a large share of the database's CPU on the send path). Statements
 * without parameters (begin, commit) and long ones go unnamed; a connection keeps at most
 * PREPARED_PER_CONNECTION, so texts that vary (lists of different lengths) cannot grow it without bound.
 */
class PreparingClient extends pg.Client {
  private readonly prepared = new Set<string>();

  // pg's query has a dozen overloads; this one only adds a name to a plain { text } config.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override query(config: any, values?: any, callback?: any): any {
    if (typeof config === 'string' && Array.isArray(values)) config = { text: config };
    const plain =
      config !== null &&
      typeof config === 'object' &&
      typeof config.text === 'string' &&
      config.name === undefined &&
      typeof config.submit !== 'function';
    if (plain && (config.text as string).length <= PREPARED_TEXT_LIMIT) {
      const parameters: unknown = Array.isArray(values) ? values : config.values;
      if (Array.isArray(parameters) && parameters.length > 0) {
        // Its verb first: a trace names a query's span after its statement's name.
        const text = config.text as string;
        const verb = /^\s*(\w+)/.exec(text)?.[1]?.toLowerCase() ?? 'query';
        const name = `${verb}-${createHash('sha1').update(text).digest('base64url')}`;
        if (this.prepared.has(name) || this.prepared.size < PREPARED_PER_CONNECTION) {
          this.prepared.add(name);
          return super.query({ ...config, name }, values, callback);
        }
      }
    }
    return super.query(config, values, callback);
  }
}

export function createPool(url: string, max = 10): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max,
    idleTimeoutMillis: 30_000,
    Client: PreparingClient,
  });
  // A client that loses its connection must not crash the process. An idle one is replaced by the pool; a
  // checked-out one fails its queries (its holder sees that) and is discarded when released. Without this
  // listener a checked-out client between queries, such as a transaction waiting on a peer, would emit an
  // unhandled 'error' when the server ends its connection (a restart, or a forced database drop).
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}

export function createDatabase(pool: pg.Pool): Database {
  return drizzle(pool);
}

const tenantIdPattern = /^[a-z0-9][a-z0-9-]{1,62}$/;

export function isTenantId(value: string): boolean {
  return tenantIdPattern.test(value);
}

/**
 * Runs `work` in a transaction whose row-level-security tenant is `tenantId`: every policy compares
 * `tenant_id` with `current_setting('app.tenant_id')`, which is local to the transaction, so a pooled
 * connection never carries one tenant's setting into another's work.
 */
export async function withTenant<T>(
  db: Database,
  tenantId: string,
  work: (tx: Transaction) => Promise<T>,
  /** `repeatable read`: every statement of `work` reads the same snapshot (a view made of several reads). */
  options: { isolationLevel?: 'read committed' | 'repeatable read' | 'serializable' } = {},
): Promise<T> {
  if (!isTenantId(tenantId)) {
    throw invalidArgument('TENANT_ID_INVALID', 'tenant id must be a lowercase slug', [
      { field: 'tenantId', description: 'lowercase letters, digits and hyphens, 2-63 characters' },
    ]);
  }
  let committed: Transaction | undefined;
  const result = await db.transaction(async (tx) => {
    committed = tx;
    await tx.execute(sql`select set_config('app.tenant_id', ${tenantId}, true)`);
    return work(tx);
  }, options);
  if (committed) runAfterCommit(committed);
  return result;
}

const afterCommitHooks = new WeakMap<Transaction, Set<() => void>>();

/**
 * Registers `hook` to run once `tx` has committed (the outbox uses it to wake its relay). Honoured by
 * `withTenant` and `runAfterCommit`; a transaction run otherwise, or rolled back, never runs it.
 */
export function afterCommit(tx: Transaction, hook: () => void): void {
  const hooks = afterCommitHooks.get(tx) ?? new Set();
  hooks.add(hook);
  afterCommitHooks.set(tx, hooks);
}

/** Runs the hooks registered for `tx`; call it after the transaction committed. */
export function runAfterCommit(tx: Transaction): void {
  const hooks = afterCommitHooks.get(tx);
  afterCommitHooks.delete(tx);
  for (const hook of hooks ?? []) hook();
}

/**
 * A text[] literal for SQL (`array[$1, $2]::text[]`): drizzle expands a JS array in a template into a
 * row, which PostgreSQL cannot cast to an array.
 */
export function textArray(values: string[]): SQL {
  return values.length === 0
    ? sql`array[]::text[]`
    : sql`array[${sql.join(
        values.map((value) => sql`${value}`),
        sql`, `,
      )}]::text[]`;
}

const uuidPattern = /^[0-9a-f-]{36}$/i;

/** True for a UUID-shaped id; anything else cannot match a uuid column, so lookups can answer "not found". */
export function isUuid(value: string): boolean {
  return uuidPattern.test(value);
}
