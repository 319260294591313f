// `npm run bench:events`: raw JetStream acked publishes against the kit's outbox -> JetStream -> inbox,
// in one run on one machine, with their own PostgreSQL and nats-server. See tools/bench/README.md.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { createLogger } from '@parley/kit';
import { startInfra, type BenchInfra } from './infra';
import { createKitPipeline, type EventPipeline } from './kitAdapter';
import { payloadFor, rawPublishes, round, serverVersions, type RawResult } from './raw';
import { latencySummary, MemorySampler, mebibytes } from './stats';

const TARGET_EVENTS_PER_SECOND = 5_000;
const TARGET_RATIO = 0.25;

interface Settings {
  events: number;
  rawEvents: number;
  payloadBytes: number;
  producers: number;
  eventsPerTransaction: number;
  window: number;
  relays: number;
  consumers: number;
  relayBatchSize: number;
  relayPollMs: number;
  maxSeconds: number;
  /** Producer pace in events/s; 0 produces as fast as possible (throughput, latency includes backlog). */
  rate: number;
  out: string;
}

function readSettings(argv: string[]): Settings {
  const { values } = parseArgs({
    args: argv,
    options: {
      events: { type: 'string', default: '20000' },
      'raw-events': { type: 'string' },
      'payload-bytes': { type: 'string', default: '256' },
      producers: { type: 'string', default: '4' },
      'events-per-tx': { type: 'string', default: '5' },
      window: { type: 'string', default: '256' },
      relays: { type: 'string', default: '1' },
      consumers: { type: 'string', default: '1' },
      'relay-batch': { type: 'string', default: '500' },
      'relay-poll-ms': { type: 'string', default: '50' },
      'max-seconds': { type: 'string', default: '300' },
      rate: { type: 'string', default: '0' },
      out: { type: 'string', default: join(__dirname, '..', 'results', 'events.json') },
    },
  });
  const int = (name: string, min: number, max: number): number => {
    const raw = (values as Record<string, string | undefined>)[name];
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new Error(`--${name} must be an integer from ${min} to ${max} (got ${JSON.stringify(raw)})`);
    }
    return value;
  };
  const events = int('events', 1, 10_000_000);
  if (values['raw-events'] === undefined) (values as Record<string, string>)['raw-events'] = String(events);
  return {
    events,
    rawEvents: int('raw-events', 1, 10_000_000),
    payloadBytes: int('payload-bytes', 16, 1_000_000),
    producers: int('producers', 1, 64),
    eventsPerTransaction: int('events-per-tx', 1, 1_000),
    window: int('window', 1, 10_000),
    relays: int('relays', 1, 8),
    consumers: int('consumers', 1, 8),
    relayBatchSize: int('relay-batch', 1, 10_000),
    relayPollMs: int('relay-poll-ms', 1, 60_000),
    maxSeconds: int('max-seconds', 5, 3_600),
    rate: int('rate', 0, 10_000_000),
    out: resolve(values.out ?? ''),
  };
}

const say = (line: string) => process.stdout.write(`${line}\n`);

interface PipelineResult extends RawResult {
  produced: number;
  /** How long the producers took to commit every event, and the commit rate that gives. */
  producedSeconds: number;
  producedPerSecond: number;
  handledTwice: number;
  latencyMs: { p50: number; p99: number; max: number; samples: number };
}

/** (b) Producer transactions -> outbox -> relay -> JetStream -> inbox consumer with a trivial handler. */
async function outboxToInbox(
  pipeline: EventPipeline,
  settings: Settings,
  deadline: number,
): Promise<PipelineResult> {
  const committedAt = new Map<string, number>();
  const handledAt = new Map<string, number>();
  let handledTwice = 0;
  let finish: () => void = () => undefined;
  const allHandled = new Promise<void>((resolve) => (finish = resolve));
  await pipeline.start((eventId) => {
    if (handledAt.has(eventId)) handledTwice += 1;
    else handledAt.set(eventId, performance.now());
    if (handledAt.size >= settings.events) finish();
  });
  const transactions = Math.ceil(settings.events / settings.eventsPerTransaction);
  let next = 0;
  let produced = 0;
  const started = performance.now();
  const producer = async () => {
    while (next < transactions && performance.now() < deadline) {
      const first = next * settings.eventsPerTransaction;
      next += 1;
      if (settings.rate > 0) {
        // Paced: transaction n starts no earlier than its slot, so latency is measured without a backlog.
        const slot = started + (first / settings.rate) * 1000;
        const wait = slot - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      }
      const count = Math.min(settings.eventsPerTransaction, settings.events - first);
      const items = Array.from({ length: count }, (_, index) =>
        payloadFor(first + index, settings.payloadBytes),
      );
      const ids = await pipeline.produce('bench', items);
      const now = performance.now();
      for (const id of ids) committedAt.set(id, now);
      produced += ids.length;
    }
  };
  await Promise.all(Array.from({ length: settings.producers }, producer));
  const producedSeconds = (performance.now() - started) / 1000;
  const timeLeft = Math.max(0, deadline - performance.now());
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([allHandled, new Promise((resolve) => (timer = setTimeout(resolve, timeLeft)))]);
  clearTimeout(timer);
  let lastHandled = started;
  for (const at of handledAt.values()) lastHandled = Math.max(lastHandled, at);
  const seconds = (lastHandled - started) / 1000;
  // The commit time is taken when COMMIT returns, so an event can (rarely) be handled a hair earlier: 0.
  const latencies = [...handledAt].flatMap(([id, at]) => {
    const committed = committedAt.get(id);
    return committed === undefined ? [] : [Math.max(0, at - committed)];
  });
  return {
    events: handledAt.size,
    produced,
    producedSeconds: round(producedSeconds, 3),
    producedPerSecond: producedSeconds > 0 ? Math.round(produced / producedSeconds) : 0,
    seconds: round(seconds, 3),
    eventsPerSecond: seconds > 0 ? Math.round(handledAt.size / seconds) : 0,
    completed: handledAt.size >= settings.events,
    handledTwice,
    latencyMs: latencySummary(latencies),
  };
}

async function main(): Promise<number> {
  const settings = readSettings(process.argv.slice(2));
  const deadline = performance.now() + settings.maxSeconds * 1000;
  const log = createLogger({ service: 'bench', version: 'bench', level: 'warn' });
  let infra: BenchInfra | undefined;
  let pipeline: EventPipeline | undefined;
  let sampler: MemorySampler | undefined;
  let cleaning: Promise<void> | undefined;
  const cleanup = () =>
    (cleaning ??= (async () => {
      sampler?.stop();
      await pipeline?.stop().catch(() => undefined);
      await infra?.stop().catch(() => undefined);
    })());
  const onSignal = (signal: NodeJS.Signals) => {
    say(`${signal}: stopping and cleaning up`);
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  // Whatever hangs, the run ends: the budget plus time to clean up.
  const hardStop = setTimeout(
    () => {
      say(`over ${settings.maxSeconds} s: giving up`);
      void cleanup().finally(() => process.exit(2));
    },
    (settings.maxSeconds + 20) * 1000,
  );
  hardStop.unref();

  try {
    say(
      `bench:events: ${settings.events} events through outbox and inbox, ${settings.rawEvents} raw publishes`,
    );
    infra = await startInfra(say);
    sampler = new MemorySampler(infra.pids);
    sampler.start();
    const versions = await serverVersions(infra);

    say('(a) raw JetStream acked publishes...');
    const raw = await rawPublishes(
      infra.natsUrl,
      { events: settings.rawEvents, window: settings.window, payloadBytes: settings.payloadBytes },
      deadline,
    );
    say(`    ${raw.events} events in ${raw.seconds} s: ${raw.eventsPerSecond} events/s`);

    say('(b) outbox -> JetStream -> inbox...');
    pipeline = await createKitPipeline({
      databaseUrl: infra.databaseUrl,
      natsUrl: infra.natsUrl,
      log,
      producerConnections: settings.producers,
      relays: settings.relays,
      consumers: settings.consumers,
      relayBatchSize: settings.relayBatchSize,
      relayPollMs: settings.relayPollMs,
    });
    const through = await outboxToInbox(pipeline, settings, deadline);
    sampler.stop();
    const ratio = raw.eventsPerSecond > 0 ? round(through.eventsPerSecond / raw.eventsPerSecond, 3) : 0;
    const memory = {
      benchPeakRssMiB: mebibytes(sampler.peaks.benchRss),
      natsServerPeakRssMiB: mebibytes(sampler.peaks.natsServerRss),
      postgresPeakRssMiB: mebibytes(sampler.peaks.postgresRss),
    };
    say(
      `    ${through.events} of ${settings.events} events handled in ${through.seconds} s: ${through.eventsPerSecond} events/s` +
        (through.completed ? '' : ' (INCOMPLETE: time budget ran out)'),
    );
    say(
      `    producers committed them in ${through.producedSeconds} s: ${through.producedPerSecond} events/s`,
    );
    if (through.handledTwice > 0) say(`    ${through.handledTwice} events were handled twice`);
    say(`    commit-to-handled latency: p50 ${through.latencyMs.p50} ms, p99 ${through.latencyMs.p99} ms`);
    say(`ratio outbox/inbox to raw: ${ratio} (target >= ${TARGET_RATIO})`);
    say(
      `peak RSS: bench ${memory.benchPeakRssMiB} MiB, nats-server ${memory.natsServerPeakRssMiB} MiB, postgres ${memory.postgresPeakRssMiB} MiB`,
    );
    const met =
      through.completed && through.eventsPerSecond >= TARGET_EVENTS_PER_SECOND && ratio >= TARGET_RATIO;
    say(
      `target (>= ${TARGET_EVENTS_PER_SECOND} events/s and >= ${TARGET_RATIO} of raw): ${met ? 'met' : 'not met'}`,
    );
    const report = {
      date: new Date().toISOString(),
      machine: {
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model,
        totalMemoryMiB: Math.round(totalmem() / 1024 / 1024),
        platform: process.platform,
        arch: process.arch,
        node: process.version,
        postgres: versions.postgres,
        natsServer: versions.natsServer,
      },
      settings: { ...settings, out: undefined },
      raw,
      outboxToInbox: through,
      ratio,
      memory,
      target: { eventsPerSecond: TARGET_EVENTS_PER_SECOND, ratio: TARGET_RATIO, met },
    };
    mkdirSync(dirname(settings.out), { recursive: true });
    writeFileSync(settings.out, `${JSON.stringify(report, null, 2)}\n`);
    say(`results written to ${settings.out}`);
    return through.completed && raw.completed && through.handledTwice === 0 ? 0 : 1;
  } finally {
    await cleanup();
    clearTimeout(hardStop);
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
