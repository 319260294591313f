// `npm run bench:messaging` (scenario 1 of `npm run bench`): POST /v1/messages at a rising rate on a
// platform started as `npm start` starts it, until the accept latency p99 of a step passes its limit or
// errors appear; the highest rate sustained at each stage (accepted, submitted over SMPP, delivered, rated),
// with the raw JetStream publish and PostgreSQL insert rates of the same machine beside them. See
// tools/bench/README.md.
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { ChartSeries } from './chart';
import { startInfra } from './infra';
import { FINAL_STATUSES, messageTimes, progress, type MessageTimes } from './messageTimes';
import { acceptedShot, openLoop, type Shot } from './openLoop';
import {
  pause,
  postMessage,
  platformSettings,
  ProcessSampler,
  recipient,
  runOnPlatform,
  senderNumbers,
  UNPACED_ENV,
  type BenchPlatform,
} from './platform';
import { rawInserts, rawPublishes, round, type RawResult } from './raw';
import { budgetOptions, target, writeScenarioResults } from './scenario';
import { latencySummary, percentile } from './stats';

const TARGET_ACCEPTED_PER_SECOND = 1_000;
const TARGET_END_TO_END_PER_SECOND = 500;
const TARGET_ACCEPT_P99_MS = 25;
/** A stage keeps up with a step when it handled the step's messages at this share of the offered rate. */
const SUSTAINED_SHARE = 0.9;
const STAGES = ['accepted', 'submitted', 'delivered', 'rated'] as const;
type Stage = (typeof STAGES)[number];

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    quick: { type: 'boolean', default: false },
    rates: { type: 'string' },
    'step-seconds': { type: 'string' },
    'min-samples': { type: 'string' },
    'p99-limit-ms': { type: 'string', default: '100' },
    warmup: { type: 'string' },
    senders: { type: 'string', default: '8' },
    'max-in-flight': { type: 'string', default: '2000' },
    'latency-ms': { type: 'string', default: '20' },
    'receipt-delay-ms': { type: 'string', default: '0' },
    'raw-events': { type: 'string' },
    'max-seconds': { type: 'string' },
    out: { type: 'string', default: join(__dirname, '..', 'results', 'messaging.json') },
  },
});
const { quick, maxSeconds } = budgetOptions(values, 900, 240);
const settings = {
  quick,
  rates: (values.rates ?? (quick ? '5,10,25' : '5,10,25,50,100,250,500,1000,1500')).split(',').map(Number),
  stepSeconds: Number(values['step-seconds'] ?? (quick ? 4 : 15)),
  // A p99 over fewer sends is the slowest one or two: a slow step lasts until it has this many.
  minSamples: Number(values['min-samples'] ?? (quick ? 50 : 300)),
  p99LimitMs: Number(values['p99-limit-ms']),
  warmup: Number(values.warmup ?? (quick ? 25 : 100)),
  senders: Number(values.senders),
  maxInFlight: Number(values['max-in-flight']),
  smscLatencyMs: Number(values['latency-ms']),
  receiptDelayMs: Number(values['receipt-delay-ms']),
  rawEvents: Number(values['raw-events'] ?? (quick ? 3000 : 20000)),
  maxSeconds,
};
for (const [name, value] of Object.entries(settings))
  if (typeof value === 'number' && (!Number.isInteger(value) || value < (name === 'receiptDelayMs' ? 0 : 1)))
    throw new Error(`${name}: a positive whole number is expected`);
if (settings.rates.some((rate) => !Number.isInteger(rate) || rate < 1))
  throw new Error('--rates: positive whole numbers separated by commas');

/**
 * The platform's settings for the run: sender pacing and the gateway's rate limits out of the way (the bench
 * measures the path, not the policy), the simulator's SMSC at the given latency without its own throughput
 * cap. Any of these set in the bench's environment wins.
 */
function platformEnv(): Record<string, string> {
  return platformSettings({
    ...UNPACED_ENV,
    SMPP_WINDOW: '32',
    SEND_CONCURRENCY: '32',
    CARRIER_SIM_SMPP_LATENCY_MS: String(settings.smscLatencyMs),
    CARRIER_SIM_DLR_DELAY_MS: String(settings.receiptDelayMs),
    CARRIER_SIM_SMPP_MAX_TPS: '0',
  });
}

interface Step {
  offeredPerSecond: number;
  shots: Shot[];
}

/** The epoch-ms time each stage of a message was reached (submitted: sent, or delivered when that came first). */
function stageTime(stage: Stage, shot: Shot, times: MessageTimes | undefined): number | undefined {
  if (stage === 'accepted') return acceptedShot(shot) ? shot.doneAt : undefined;
  if (!times) return undefined;
  if (stage === 'submitted') return times.sent ?? times.delivered;
  return times[stage];
}

/**
 * What each stage did with one step's messages: the rate at which it handled them (all it reached, over the
 * time from the step's first due send until the last of them reached the stage) and whether that kept up:
 * every message reached it, at SUSTAINED_SHARE of the offered rate or better (accepted: also no errors and
 * the accept p99 within the limit).
 */
function stepFigures(step: Step, times: Map<string, MessageTimes>) {
  const started = step.shots[0]!.dueAt;
  const accepted = step.shots.filter(acceptedShot);
  const acceptMs = latencySummary(accepted.map((shot) => shot.doneAt - shot.dueAt));
  const sorted = accepted.map((shot) => shot.doneAt - shot.dueAt).sort((a, b) => a - b);
  const errors = step.shots.length - accepted.length;
  const stages = Object.fromEntries(
    STAGES.map((stage) => {
      const reached = step.shots
        .map((shot) => stageTime(stage, shot, shot.id ? times.get(shot.id) : undefined))
        .filter((at): at is number => at !== undefined);
      const seconds = reached.length ? (Math.max(...reached) - started) / 1000 : Number.NaN;
      const perSecond = reached.length ? round(reached.length / seconds) : 0;
      const sustained =
        reached.length === step.shots.length &&
        perSecond >= SUSTAINED_SHARE * step.offeredPerSecond &&
        (stage !== 'accepted' || acceptMs.p99 <= settings.p99LimitMs);
      return [stage, { reached: reached.length, perSecond, sustained }];
    }),
  ) as Record<Stage, { reached: number; perSecond: number; sustained: boolean }>;
  return {
    offeredPerSecond: step.offeredPerSecond,
    offered: step.shots.length,
    errors,
    errorCodes: [
      ...new Set(step.shots.filter((shot) => !acceptedShot(shot)).map((shot) => shot.code ?? shot.status)),
    ],
    acceptMs: { ...acceptMs, p999: round(percentile(sorted, 0.999) ?? Number.NaN, 2) },
    stages,
  };
}

/** Per second of the load: how many were offered, accepted, submitted, delivered and rated. */
function throughputSeries(steps: Step[], times: Map<string, MessageTimes>, started: number): ChartSeries[] {
  const shots = steps.flatMap((step) => step.shots);
  const lines: [string, (shot: Shot) => number | undefined][] = [
    ['offered', (shot) => shot.dueAt],
    ...STAGES.map(
      (stage) =>
        [stage, (shot: Shot) => stageTime(stage, shot, shot.id ? times.get(shot.id) : undefined)] as [
          string,
          (shot: Shot) => number | undefined,
        ],
    ),
  ];
  return lines.map(([label, at]) => {
    const perSecond = new Map<number, number>();
    for (const shot of shots) {
      const when = at(shot);
      if (when === undefined) continue;
      const second = Math.floor((when - started) / 1000);
      perSecond.set(second, (perSecond.get(second) ?? 0) + 1);
    }
    const last = Math.max(0, ...perSecond.keys());
    return {
      label,
      unit: 'messages/s',
      xUnit: 's since the load began',
      points: Array.from({ length: last + 1 }, (_, second) => [second, perSecond.get(second) ?? 0]),
    };
  });
}

/** The highest step rate a stage sustained, with every lower step sustained too (0: not even the first). */
function highestSustained(figures: ReturnType<typeof stepFigures>[], stage: Stage): number {
  let highest = 0;
  for (const step of figures) {
    if (!step.stages[stage].sustained) break;
    highest = step.offeredPerSecond;
  }
  return highest;
}

async function waitUntilSettled(platform: BenchPlatform, ids: string[], deadline: number) {
  for (;;) {
    const now = await progress(platform, ids);
    if ((now.final >= ids.length && now.rated >= now.sent) || Date.now() > deadline) return now;
    await pause(1_000);
  }
}

async function run(platform: BenchPlatform, deadline: number): Promise<number> {
  const { dev } = platform;
  const senders = await senderNumbers(dev, settings.senders);
  const fire = (index: number) =>
    postMessage(dev.gatewayUrl, dev.apiKey, {
      from: senders[index % senders.length]!,
      to: recipient(index),
      body: `bench ${index}`,
    });
  console.log(`bought ${senders.length} sender numbers; warming up with ${settings.warmup} messages`);
  const warmup = await openLoop({
    perSecond: settings.rates[0]!,
    durationMs: (settings.warmup / settings.rates[0]!) * 1000,
    maxInFlight: settings.maxInFlight,
    fire,
  });
  await waitUntilSettled(
    platform,
    warmup.filter(acceptedShot).map((shot) => shot.id),
    Math.min(deadline, Date.now() + 60_000),
  );

  // Keep a third of what is left after the load for the platform to finish, and a minute for the raw rates.
  const loadDeadline = deadline - 60_000 - settings.stepSeconds * 1000;
  const sampler = new ProcessSampler(platform);
  sampler.start();
  const steps: Step[] = [];
  const loadStarted = Date.now();
  let stopReason = 'every step was offered';
  let next = settings.warmup;
  for (const rate of settings.rates) {
    const stepMs = Math.max(settings.stepSeconds, settings.minSamples / rate) * 1000;
    if (Date.now() + stepMs > loadDeadline) {
      stopReason = '--max-seconds leaves no time for another step';
      break;
    }
    const shots = await openLoop({
      perSecond: rate,
      durationMs: stepMs,
      maxInFlight: settings.maxInFlight,
      fire,
      firstIndex: next,
    });
    next += shots.length;
    steps.push({ offeredPerSecond: rate, shots });
    const accepted = shots.filter(acceptedShot);
    const acceptMs = latencySummary(accepted.map((shot) => shot.doneAt - shot.dueAt));
    console.log(
      `${rate}/s for ${stepMs / 1000} s: ${accepted.length} of ${shots.length} accepted, ` +
        `accept p50 ${acceptMs.p50} ms, p99 ${acceptMs.p99} ms`,
    );
    if (accepted.length < shots.length) {
      stopReason = `errors at ${rate}/s`;
      break;
    }
    if (acceptMs.p99 > settings.p99LimitMs) {
      stopReason = `accept p99 over ${settings.p99LimitMs} ms at ${rate}/s`;
      break;
    }
  }
  const loadSeconds = (Date.now() - loadStarted) / 1000;
  const ids = steps.flatMap((step) => step.shots.filter(acceptedShot).map((shot) => shot.id));
  console.log(`${stopReason}; waiting for ${ids.length} messages to be delivered and rated`);
  const settled = await waitUntilSettled(platform, ids, deadline - 60_000);
  const processes = await sampler.stop();
  const times = await messageTimes(platform, ids);
  await platform.stop(); // the raw rates are measured on an otherwise idle machine

  console.log(`raw JetStream publishes and PostgreSQL inserts (${settings.rawEvents} each)`);
  const infra = await startInfra(() => undefined);
  let rawJetStream: RawResult;
  let rawPostgres: RawResult;
  try {
    const rawDeadline = performance.now() + Math.max(10_000, deadline - Date.now());
    rawJetStream = await rawPublishes(
      infra.natsUrl,
      { events: settings.rawEvents, window: 256, payloadBytes: 256 },
      rawDeadline,
    );
    rawPostgres = await rawInserts(
      infra.databaseUrl,
      { rows: settings.rawEvents, connections: 8, payloadBytes: 256 },
      rawDeadline,
    );
  } finally {
    await infra.stop();
  }

  const figures = steps.map((step) => stepFigures(step, times));
  const sustained = Object.fromEntries(
    STAGES.map((stage) => [stage, highestSustained(figures, stage)]),
  ) as Record<Stage, number>;
  // Accept-to-delivered over the steps the platform delivered in time (all of them when none was).
  const within = steps.filter((step) => step.offeredPerSecond <= sustained.delivered);
  const latencies = (within.length ? within : steps)
    .flatMap((step) => step.shots.filter(acceptedShot))
    .map((shot) => {
      const delivered = times.get(shot.id)?.delivered;
      return delivered === undefined ? Number.NaN : delivered - shot.dueAt;
    })
    .filter(Number.isFinite)
    .sort((a, b) => a - b);
  const acceptToDelivered = {
    p50: round(percentile(latencies, 0.5) ?? Number.NaN, 1),
    p99: round(percentile(latencies, 0.99) ?? Number.NaN, 1),
    p999: round(percentile(latencies, 0.999) ?? Number.NaN, 1),
  };
  const at500 = figures.find((step) => step.offeredPerSecond === 500)?.acceptMs.p99 ?? Number.NaN;
  const statuses: Record<string, number> = {};
  for (const message of times.values()) statuses[message.status] = (statuses[message.status] ?? 0) + 1;
  const summary = {
    sustainedAcceptedPerSecond: sustained.accepted,
    sustainedSubmittedPerSecond: sustained.submitted,
    sustainedDeliveredPerSecond: sustained.delivered,
    sustainedRatedPerSecond: sustained.rated,
    // What each stage did at best, whether or not it kept up: the platform's capacity when none sustained.
    ...Object.fromEntries(
      STAGES.map((stage) => [
        `best${stage[0]!.toUpperCase()}${stage.slice(1)}PerSecond`,
        Math.max(0, ...figures.map((step) => step.stages[stage].perSecond)),
      ]),
    ),
    acceptP99MsAt500PerSecond: at500,
    acceptToDeliveredP50Ms: acceptToDelivered.p50,
    acceptToDeliveredP99Ms: acceptToDelivered.p99,
    acceptToDeliveredP999Ms: acceptToDelivered.p999,
    rawJetStreamPublishesPerSecond: rawJetStream.eventsPerSecond,
    rawPostgresInsertsPerSecond: rawPostgres.eventsPerSecond,
    deliveredPerRawJetStreamPublish: round(sustained.delivered / rawJetStream.eventsPerSecond, 4),
    deliveredPerRawPostgresInsert: round(sustained.delivered / rawPostgres.eventsPerSecond, 4),
    messages: ids.length,
    notFinal: ids.length - settled.final,
  };
  const results = {
    summary,
    targets: {
      sustainedAcceptedPerSecond: target(sustained.accepted, TARGET_ACCEPTED_PER_SECOND, 'atLeast'),
      sustainedDeliveredPerSecond: target(sustained.delivered, TARGET_END_TO_END_PER_SECOND, 'atLeast'),
      sustainedRatedPerSecond: target(sustained.rated, TARGET_END_TO_END_PER_SECOND, 'atLeast'),
      acceptP99MsAt500PerSecond: target(at500, TARGET_ACCEPT_P99_MS, 'atMost'),
    },
    series: {
      throughput: throughputSeries(steps, times, loadStarted),
      acceptLatency: (['p50', 'p99'] as const).map((quantile) => ({
        label: `accept ${quantile}`,
        unit: 'ms',
        xUnit: 'messages/s offered',
        points: figures.map((step) => [step.offeredPerSecond, step.acceptMs[quantile]] as [number, number]),
      })),
    },
    settings: { ...settings, platform: platformEnv() },
    stopReason,
    loadSeconds: round(loadSeconds),
    steps: figures,
    statuses,
    processes,
    raw: { jetStream: rawJetStream, postgres: rawPostgres },
  };
  console.log(
    JSON.stringify({ summary, steps: figures.map(({ errorCodes: _codes, ...step }) => step) }, null, 2),
  );
  writeScenarioResults('messaging', results, values.out);
  const whole =
    ids.length > 0 &&
    [...times.values()].every((message) => FINAL_STATUSES.has(message.status)) &&
    times.size === ids.length;
  if (!whole) console.error('not every accepted message reached a final status in time: see statuses');
  return whole ? 0 : 1;
}

runOnPlatform('bench-messaging', platformEnv(), settings.maxSeconds, run);
