// A platform started the way `npm start` starts it, for the benchmarks and the failure drills: the
// launcher in a temporary PARLEY_HOME, its credentials, its processes, its PostgreSQL and simulator.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from '../../dev/src/ports';
import { devCredentials, launch, untilReady, type Launch } from '../../dev/src/spawnLauncher';

export type Dev = ReturnType<typeof devCredentials>;

export interface BenchPlatform {
  home: string;
  launched: Launch;
  dev: Dev;
  /** Every process the launcher recorded (processes.json), and the pid of one by name. */
  processes(): { name: string; pid: number }[];
  pidOf(name: string): number | undefined;
  /** A client of one of the platform's databases as PostgreSQL's superuser (RLS does not apply). */
  admin(database: string): Promise<pg.Client>;
  /** The connection string of that superuser client (for a pool or the kit's job queue). */
  adminUrl(database: string): string;
  stop(): Promise<void>;
}

/**
 * Starts the launcher in a fresh temporary PARLEY_HOME with `env` over the caller's environment, waits
 * until it is ready, and returns what scripts need. `stop` (safe to call twice) stops it and removes the
 * folder; so does a failure to become ready.
 */
export async function startPlatform(
  prefix: string,
  env: Record<string, string>,
  readyTimeoutMs = 180_000,
): Promise<BenchPlatform> {
  const home = mkdtempSync(join(tmpdir(), `parley-${prefix}-`));
  const launched = launch(home, { PORT: String(await freePort()), LOG_LEVEL: 'warn', ...env });
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      if (launched.child.exitCode === null) {
        launched.child.kill('SIGINT');
        const timer = setTimeout(() => launched.child.kill('SIGKILL'), 60_000);
        await launched.exited;
        clearTimeout(timer);
      }
      rmSync(home, { recursive: true, force: true });
    })());
  try {
    await untilReady(launched, readyTimeoutMs);
  } catch (error) {
    await stop();
    throw error;
  }
  const processes = () =>
    JSON.parse(readFileSync(join(home, 'processes.json'), 'utf8')) as { name: string; pid: number }[];
  return {
    home,
    launched,
    dev: devCredentials(home),
    processes,
    pidOf: (name) => processes().find((record) => record.name === name)?.pid,
    adminUrl: (database) => adminUrl(home, database),
    admin: async (database) => {
      const client = new pg.Client({ connectionString: adminUrl(home, database) });
      await client.connect();
      return client;
    },
    stop,
  };
}

/** The launcher's PostgreSQL (port from its postmaster.pid) as its superuser, on `database`. */
function adminUrl(home: string, database: string): string {
  const port = Number(
    readFileSync(join(home, 'pg', 'postmaster.pid'), 'utf8')
      .split('\n')[3]!
      .trim(),
  );
  const password = readFileSync(join(home, '.pg-admin-password'), 'utf8').trim();
  return `postgres://parley_admin:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
}

/** One call to the gateway with the demo tenant's key; a write carries a fresh Idempotency-Key. */
export async function request(dev: Dev, method: string, path: string, body?: unknown) {
  const response = await fetch(`${dev.gatewayUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${dev.apiKey}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json', 'idempotency-key': randomUUID() }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json = (await response.json()) as Record<string, unknown>;
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${String(json.code)}`);
  return json;
}

/** POST /v1/messages with the demo tenant's key and this Idempotency-Key, given up after `timeoutMs`. */
export function postMessage(dev: Dev, body: string, idempotencyKey: string, timeoutMs: number) {
  return fetch(`${dev.gatewayUrl}/v1/messages`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${dev.apiKey}`,
      'content-type': 'application/json',
      'idempotency-key': idempotencyKey,
    },
    body,
    signal: AbortSignal.timeout(timeoutMs),
  });
}

/** The carrier simulator's SMSC counters (accepted, duplicates, receipts, ...). */
export async function simCounters(dev: Dev): Promise<Record<string, number>> {
  const sim = dev.carrierSimulator!;
  const response = await fetch(`${sim.url}/smsc/counters`, {
    headers: { authorization: `Bearer ${sim.apiKey}` },
  });
  if (!response.ok) throw new Error(`simulator counters: ${response.status}`);
  const body = (await response.json()) as { data?: Record<string, number> } & Record<string, number>;
  return (body.data ?? body) as Record<string, number>;
}

/** `count` numbers of the demo tenant to send from, bought for this run (none of the simulator's magic ones). */
export async function senderNumbers(dev: Dev, count: number): Promise<string[]> {
  const found = await request(dev, 'GET', '/v1/available-numbers?country=US&capabilities=sms&limit=50');
  const picks = (found.numbers as { phoneNumber: string }[])
    .map((number) => number.phoneNumber)
    .filter((phoneNumber) => !/99[89]\d$/.test(phoneNumber))
    .slice(0, count);
  if (picks.length < count) throw new Error(`only ${picks.length} numbers on offer, ${count} wanted`);
  const orders = await Promise.all(
    picks.map((phoneNumber) => request(dev, 'POST', '/v1/numbers', { phoneNumber })),
  );
  for (const order of orders) {
    for (let waited = 0; ; waited += 200) {
      const current = await request(dev, 'GET', `/v1/number-orders/${String(order.id)}`);
      if (current.status === 'active') break;
      if (current.status !== 'pending' || waited > 60_000)
        throw new Error(`number order ${String(current.status)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  return picks;
}

/** A recipient for message `index`, never one of the simulator's magic endings (9980-9986). */
export function recipient(index: number): string {
  const digits = String(index % 100_000).padStart(5, '0');
  return `+4479${/998\d$/.test(digits) ? '1' : '0'}00${digits}`;
}

/** Sender pacing and the gateway's rate limits out of the way: the runs measure the path, not the policy. */
export const UNPACED_ENV: Record<string, string> = {
  SENDER_RATES: 'long_code:100000,toll_free:100000,short_code:100000',
  RATE_LIMIT_PER_PRINCIPAL: '0',
  RATE_LIMIT_PER_TENANT: '0',
  CARRIER_SIM_ORDER_DELAY_MS: '100',
};

/**
 * Runs one scenario on a platform of its own: started with `env`, stopped (and its data removed) when `run`
 * ends, fails, the process is interrupted, or `maxSeconds` runs out; exits with `run`'s code (1 on an error).
 */
export function runOnPlatform(
  prefix: string,
  env: Record<string, string>,
  maxSeconds: number,
  run: (platform: BenchPlatform) => Promise<number>,
): void {
  let platform: BenchPlatform | undefined;
  const stop = async () => platform?.stop();
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => void stop().then(() => process.exit(130)));
  const budget = setTimeout(() => {
    console.error(`out of time after ${maxSeconds} s: stopping`);
    void stop().then(() => process.exit(1));
  }, maxSeconds * 1000);
  budget.unref();
  void (async () => {
    try {
      platform = await startPlatform(prefix, env);
      return await run(platform);
    } catch (error) {
      console.error(error);
      if (platform && platform.launched.child.exitCode !== null)
        console.error(platform.launched.output().slice(-4000));
      return 1;
    } finally {
      await stop();
    }
  })().then((code) => process.exit(code));
}
