// `npm run bench:messaging`: messages through the gateway of a platform started as `npm start` starts it,
// to the carrier simulator's SMSC over SMPP and back as delivery receipts. See tools/bench/README.md.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { writeMicroResults } from './micro';
import {
  recipient,
  request,
  senderNumbers,
  simCounters,
  runOnPlatform,
  UNPACED_ENV,
  type BenchPlatform,
  type Dev,
} from './platform';
import { latencySummary, mebibytes, treeCpuSeconds, treeRssBytes } from './stats';

const TARGET_ACCEPTED_PER_SECOND = 1_000;
const TARGET_DELIVERED_PER_SECOND = 500;
const FINAL = new Set(['delivered', 'undelivered', 'failed', 'expired']);

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    messages: { type: 'string', default: '3000' },
    warmup: { type: 'string', default: '200' },
    concurrency: { type: 'string', default: '64' },
    senders: { type: 'string', default: '8' },
    'latency-ms': { type: 'string', default: '20' },
    'receipt-delay-ms': { type: 'string', default: '0' },
    'max-seconds': { type: 'string', default: '300' },
    out: { type: 'string', default: join(__dirname, '..', 'results', 'messaging.json') },
  },
});
const settings = {
  messages: Number(values.messages),
  warmup: Number(values.warmup),
  concurrency: Number(values.concurrency),
  senders: Number(values.senders),
  smscLatencyMs: Number(values['latency-ms']),
  receiptDelayMs: Number(values['receipt-delay-ms']),
  maxSeconds: Number(values['max-seconds']),
};
for (const [name, value] of Object.entries(settings))
  if (!Number.isInteger(value) || value < 0) throw new Error(`--${name}: a whole number is expected`);

/**
 * The platform's settings for the run: sender pacing and the gateway's rate limits out of the way (the bench
 * measures the path, not the policy), the simulator's SMSC at the given latency without its own throughput
 * cap. Any of these set in the bench's environment wins.
 */
function platformEnv(): Record<string, string> {
  const defaults: Record<string, string> = {
    ...UNPACED_ENV,
    SMPP_WINDOW: '32',
    SEND_CONCURRENCY: '32',
    CARRIER_SIM_SMPP_LATENCY_MS: String(settings.smscLatencyMs),
    CARRIER_SIM_DLR_DELAY_MS: String(settings.receiptDelayMs),
    CARRIER_SIM_SMPP_MAX_TPS: '0',
  };
  for (const name of Object.keys(defaults)) {
    const given = process.env[name];
    if (given) defaults[name] = given;
  }
  return defaults;
}

async function untilCounter(dev: Dev, name: string, atLeast: number, deadline: number) {
  for (;;) {
    const counters = await simCounters(dev);
    if ((counters[name] ?? 0) >= atLeast) return counters;
    if (Date.now() > deadline) throw new Error(`${name} reached ${counters[name]} of ${atLeast} in time`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Peak resident memory and CPU seconds of every process the launcher started (processes.json). */
class ProcessSampler {
  private timer?: NodeJS.Timeout;
  readonly peakPss = new Map<string, number>();
  private readonly cpuAtStart = new Map<string, number>();
  private readonly processes: { name: string; pid: number }[];

  constructor(home: string) {
    this.processes = JSON.parse(readFileSync(join(home, 'processes.json'), 'utf8')) as typeof this.processes;
  }

  start() {
    for (const { name, pid } of this.processes) this.cpuAtStart.set(name, treeCpuSeconds(pid));
    this.timer = setInterval(() => this.sample(), 250);
    this.timer.unref();
  }

  stop(): Record<string, { cpuSeconds: number; peakPssMiB: number }> {
    clearInterval(this.timer);
    this.sample();
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

  private sample() {
    for (const { name, pid } of this.processes)
      this.peakPss.set(name, Math.max(this.peakPss.get(name) ?? 0, treeRssBytes(pid, true)));
  }
}

/**
 * Committed transactions and written rows per database so far, from PostgreSQL's own statistics (the
 * launcher's server, through its admin account in PARLEY_HOME).
 */
async function databaseActivity(platform: BenchPlatform): Promise<Record<string, Record<string, number>>> {
  const client = await platform.admin('postgres');
  try {
    const { rows } = await client.query<{
      datname: string;
      commits: string;
      inserted: string;
      updated: string;
      deleted: string;
    }>(
      `select datname, xact_commit as commits, tup_inserted as inserted, tup_updated as updated,
              tup_deleted as deleted
         from pg_stat_database where datname is not null and datname not in ('postgres', 'template0', 'template1')`,
    );
    return Object.fromEntries(
      rows.map((row) => [
        row.datname,
        {
          commits: Number(row.commits),
          inserted: Number(row.inserted),
          updated: Number(row.updated),
          deleted: Number(row.deleted),
        },
      ]),
    );
  } finally {
    await client.end();
  }
}

/** What each database did per message between two readings (statistics lag by up to a second). */
function perMessage(
  before: Awaited<ReturnType<typeof databaseActivity>>,
  after: typeof before,
  messages: number,
) {
  return Object.fromEntries(
    Object.entries(after).map(([database, counts]) => [
      database,
      Object.fromEntries(
        Object.entries(counts).map(([name, value]) => [
          name,
          Math.round(((value - (before[database]?.[name] ?? 0)) / messages) * 10) / 10,
        ]),
      ),
    ]),
  );
}

async function sendAll(dev: Dev, senders: string[], count: number, offset: number) {
  const accepted: { id: string; ms: number }[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: settings.concurrency }, async () => {
      while (next < count) {
        const index = offset + next++;
        const started = performance.now();
        const message = await request(dev, 'POST', '/v1/messages', {
          from: senders[index % senders.length],
          to: recipient(index),
          body: `bench ${index}`,
        });
        accepted.push({ id: String(message.id), ms: performance.now() - started });
      }
    }),
  );
  return accepted;
}

/** Each message's status history, read once it is final. */
async function histories(dev: Dev, ids: string[], deadline: number) {
  const found = new Map<string, { status: string; history: { status: string; at: string }[] }>();
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < ids.length) {
        const id = ids[next++]!;
        for (;;) {
          const message = await request(dev, 'GET', `/v1/messages/${id}`);
          if (FINAL.has(String(message.status)) || Date.now() > deadline) {
            found.set(id, message as never);
            break;
          }
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      }
    }),
  );
  return [...found.values()];
}

async function run(platform: BenchPlatform): Promise<number> {
  const deadline = Date.now() + settings.maxSeconds * 1000;
  const { dev, home } = platform;
  if (!dev.carrierSimulator) throw new Error('dev.json names no carrier simulator');
  const senders = await senderNumbers(dev, settings.senders);
  console.log(`bought ${senders.length} sender numbers; warming up with ${settings.warmup} messages`);
  await sendAll(dev, senders, settings.warmup, 0);
  await untilCounter(dev, 'receiptsAcked', settings.warmup, deadline);

  const before = await simCounters(dev);
  const activityBefore = await databaseActivity(platform);
  const sampler = new ProcessSampler(home);
  sampler.start();
  const timeline: { atMs: number; submitsAccepted: number; receiptsAcked: number }[] = [];
  const started = performance.now();
  let sampling = true;
  const sampling$ = (async () => {
    while (sampling) {
      const counters = await simCounters(dev);
      timeline.push({
        atMs: Math.round(performance.now() - started),
        submitsAccepted: (counters.submitsAccepted ?? 0) - (before.submitsAccepted ?? 0),
        receiptsAcked: (counters.receiptsAcked ?? 0) - (before.receiptsAcked ?? 0),
      });
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  console.log(`sending ${settings.messages} messages, ${settings.concurrency} at a time`);
  const accepted = await sendAll(dev, senders, settings.messages, settings.warmup);
  const acceptSeconds = (performance.now() - started) / 1000;
  const after = await untilCounter(
    dev,
    'receiptsAcked',
    (before.receiptsAcked ?? 0) + settings.messages,
    deadline,
  ).catch((error: unknown) => {
    console.error(String(error));
    return simCounters(dev);
  });
  sampling = false;
  await sampling$;
  const processes = sampler.stop();
  await new Promise((resolve) => setTimeout(resolve, 1_000)); // PostgreSQL's statistics catch up
  const databases = perMessage(activityBefore, await databaseActivity(platform), settings.messages);

  /** Seconds from the start of the load until the counter reached its last value. */
  const secondsToReach = (name: 'submitsAccepted' | 'receiptsAcked') => {
    const last = timeline[timeline.length - 1]?.[name] ?? 0;
    const reached = timeline.find((sample) => sample[name] >= last);
    return { count: last, seconds: (reached?.atMs ?? Number.NaN) / 1000 };
  };
  const submitted = secondsToReach('submitsAccepted');
  const delivered = secondsToReach('receiptsAcked');
  const messages = await histories(
    dev,
    accepted.map((message) => message.id),
    Date.now() + 60_000,
  );
  const at = (history: { status: string; at: string }[], status: string) =>
    Date.parse(history.find((change) => change.status === status)?.at ?? '');
  const statuses: Record<string, number> = {};
  for (const message of messages) statuses[message.status] = (statuses[message.status] ?? 0) + 1;
  const delta = (name: string) => (after[name] ?? 0) - (before[name] ?? 0);
  const results = {
    settings: { ...settings, platform: platformEnv() },
    acceptedPerSecond: Math.round(settings.messages / acceptSeconds),
    submittedPerSecond: Math.round(submitted.count / submitted.seconds),
    deliveredReceiptsPerSecond: Math.round(delivered.count / delivered.seconds),
    acceptMs: latencySummary(accepted.map((message) => message.ms)),
    acceptToDeliveredMs: latencySummary(
      messages.map(({ history }) => at(history, 'delivered') - at(history, 'queued')).filter(Number.isFinite),
    ),
    statuses,
    simulator: {
      messagesAccepted: delta('messagesAccepted'),
      duplicates: delta('duplicates'),
      throttled: delta('throttled'),
      receiptsAcked: delta('receiptsAcked'),
    },
    processes,
    databasePerMessage: databases,
    targets: {
      acceptedPerSecond: TARGET_ACCEPTED_PER_SECOND,
      deliveredPerSecond: TARGET_DELIVERED_PER_SECOND,
    },
    timeline,
  };
  const { timeline: _timeline, ...printed } = results;
  console.log(JSON.stringify(printed, null, 2));
  writeMicroResults(values.out!, 'messaging', results);
  const whole =
    results.simulator.messagesAccepted === settings.messages &&
    results.simulator.duplicates === 0 &&
    statuses.delivered === settings.messages;
  if (!whole) console.error('not every message was delivered exactly once: see statuses and simulator');
  return whole ? 0 : 1;
}

runOnPlatform('bench-messaging', platformEnv(), settings.maxSeconds + 240, run);
