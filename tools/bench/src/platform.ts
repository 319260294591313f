// A platform started the way `npm start` starts it, for the benchmarks and the failure drills: the
// launcher in a temporary PARLEY_HOME, its credentials, its processes, its PostgreSQL and simulator.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { mebibytes, treeCpuSeconds, treeRssBytesAsync } from './stats';
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

/** One call to the gateway with the demo tenant's key (given up after 30 s); a write carries a fresh Idempotency-Key. */
export async function request(dev: Dev, method: string, path: string, body?: unknown) {
  const response = await fetch(`${dev.gatewayUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${dev.apiKey}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json', 'idempotency-key': randomUUID() }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(30_000),
  });
  const json = (await response.json()) as Record<string, unknown>;
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${String(json.code)}`);
  return json;
}

/**
 * POST /v1/messages with `apiKey` and an Idempotency-Key (a fresh one unless given, so a retry can repeat
 * it), given up after `timeoutMs`: the status, the message's id (or the problem's code) and the answer's
 * Retry-After in seconds (0 without one).
 */
export async function postMessage(
  gatewayUrl: string,
  apiKey: string,
  message: { from: string; to: string; body: string; statusCallback?: string },
  options: { idempotencyKey?: string; timeoutMs?: number } = {},
): Promise<{ status: number; id?: string; code?: string; retryAfter: number }> {
  const response = await fetch(`${gatewayUrl}/v1/messages`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${apiKey}`,
      'content-type': 'application/json',
      'idempotency-key': options.idempotencyKey ?? randomUUID(),
    },
    body: JSON.stringify(message),
    signal: AbortSignal.timeout(options.timeoutMs ?? 15_000),
  });
  const answer = (await response.json().catch(() => ({}))) as { id?: string; code?: string };
  const retryAfter = Number(response.headers.get('retry-after'));
  return {
    status: response.status,
    id: answer.id,
    code: answer.code,
    retryAfter: retryAfter > 0 ? retryAfter : 0,
  };
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

/**
 * A run's platform settings: `defaults`, with any of them (and of `alsoFromEnvironment`) set in the bench's
 * own environment winning.
 */
export function platformSettings(
  defaults: Record<string, string>,
  alsoFromEnvironment: string[] = [],
): Record<string, string> {
  const settings = { ...defaults };
  for (const name of [...Object.keys(defaults), ...alsoFromEnvironment]) {
    const given = process.env[name];
    if (given) settings[name] = given;
  }
  return settings;
}

/** Sender pacing and the gateway's rate limits out of the way: the runs measure the path, not the policy. */
export const UNPACED_ENV: Record<string, string> = {
  SENDER_RATES: 'long_code:100000,toll_free:100000,short_code:100000',
  RATE_LIMIT_PER_PRINCIPAL: '0',
  RATE_LIMIT_PER_TENANT: '0',
  CARRIER_SIM_ORDER_DELAY_MS: '100',
};

/** Peak memory (PSS) and CPU seconds of every process the launcher started (processes.json), from `start`. */
export class ProcessSampler {
  private timer?: NodeJS.Timeout;
  private sampling: Promise<void> = Promise.resolve();
  private stopped = false;
  readonly peakPss = new Map<string, number>();
  private readonly cpuAtStart = new Map<string, number>();
  private readonly processes: { name: string; pid: number }[];

  constructor(platform: BenchPlatform) {
    this.processes = platform.processes();
  }

  start() {
    for (const { name, pid } of this.processes) this.cpuAtStart.set(name, treeCpuSeconds(pid));
    this.schedule();
  }

  /**
   * A sample a second, read off the event loop: the reads of PSS that this loop once made every 250 ms
   * blocked the sends it times (the p99 of a 5/s step was the sampler's).
   */
  private schedule() {
    this.timer = setTimeout(() => {
      this.sampling = this.sample().then(() => {
        if (!this.stopped) this.schedule();
      });
    }, 1000);
    this.timer.unref();
  }

  async stop(): Promise<Record<string, { cpuSeconds: number; peakPssMiB: number }>> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.sampling;
    await this.sample();
    return Object.fromEntries(
      this.processes.map(({ name, pid }) => [
        name,
        {
          cpuSeconds: Math.round((treeCpuSeconds(pid) - (this.cpuAtStart.get(name) ?? 0)) * 100) / 100,
          peakPssMiB: mebibytes(this.peakPss.get(name) ?? 0),
        },
      ]),
    );
  }

  private async sample() {
    for (const { name, pid } of this.processes)
      this.peakPss.set(name, Math.max(this.peakPss.get(name) ?? 0, await treeRssBytesAsync(pid, true)));
  }
}

/**
 * A scenario's process on a platform of its own: starts it with `env`, runs `run` with the time left
 * (milliseconds since the epoch by which the load must be over; stopping the platform takes the rest), and
 * exits with its code. Whatever happens (an error, SIGINT/SIGTERM, `maxSeconds` running out) the platform is
 * stopped and its data removed before the process exits.
 */
export function runOnPlatform(
  prefix: string,
  env: Record<string, string>,
  maxSeconds: number,
  run: (platform: BenchPlatform, deadline: number) => Promise<number>,
): void {
  const deadline = Date.now() + (maxSeconds - STOP_ALLOWANCE_SECONDS) * 1000;
  let platform: BenchPlatform | undefined;
  const stop = async () => platform?.stop();
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => void stop().then(() => process.exit(130)));
  const budget = setTimeout(
    () => {
      console.error(`--max-seconds ${maxSeconds} ran out`);
      void stop().then(() => process.exit(1));
    },
    (maxSeconds - STOP_ALLOWANCE_SECONDS / 2) * 1000,
  );
  budget.unref();
  const main = async () => {
    try {
      platform = await startPlatform(prefix, env, Math.min(180_000, deadline - Date.now()));
      return await run(platform, deadline);
    } catch (error) {
      console.error(error);
      if (platform && platform.launched.child.exitCode !== null)
        console.error(platform.launched.output().slice(-4000));
      return 1;
    } finally {
      await stop();
    }
  };
  void main().then((code) => process.exit(code));
}

/** What a scenario keeps of its `--max-seconds` to stop the platform (SIGINT, every process's exit). */
const STOP_ALLOWANCE_SECONDS = 30;

/** Waits `ms` unless that would pass `deadline`; false when there was no time left. */
export async function pause(ms: number, deadline = Infinity): Promise<boolean> {
  const wait = Math.min(ms, deadline - Date.now());
  if (wait <= 0) return false;
  await new Promise((resolve) => setTimeout(resolve, wait));
  return true;
}
