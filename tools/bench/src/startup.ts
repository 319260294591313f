// `npm run bench:startup` (scenario 5 of `npm run bench`): how long `npm start` takes to be ready, cold (a
// fresh PARLEY_HOME: PostgreSQL's cluster created, every migration run, the demo tenant seeded) and warm
// (the same PARLEY_HOME again). See tools/bench/README.md.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort } from '../../dev/src/ports';
import { processesInside } from '../../dev/src/processes';
import { launch, untilReady, type Launch } from '../../dev/src/spawnLauncher';
import { epochMs } from './openLoop';
import { round } from './raw';
import { budgetOptions, writeScenarioResults } from './scenario';
import { percentile } from './stats';

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    quick: { type: 'boolean', default: false },
    runs: { type: 'string' },
    'max-seconds': { type: 'string' },
    out: { type: 'string', default: join(__dirname, '..', 'results', 'startup.json') },
  },
});
const { quick, maxSeconds } = budgetOptions(values, 1200, 300);
const runs = Number(values.runs ?? (quick ? 1 : 3));
if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs: a positive whole number is expected');

const homes = new Set<string>();
let current: Launch | undefined;

/** Stops the launcher (SIGINT, as Ctrl-C does) and waits for it; SIGKILLs whatever it left running. */
async function stop(launched: Launch, home: string) {
  if (launched.child.exitCode === null) {
    launched.child.kill('SIGINT');
    const timer = setTimeout(() => launched.child.kill('SIGKILL'), 60_000);
    await launched.exited;
    clearTimeout(timer);
  }
  for (const pid of processesInside(home)) process.kill(pid, 'SIGKILL');
}

/** Seconds from spawning the launcher in `home` until its `| ready` line; the launcher is stopped after. */
async function timeToReady(home: string, deadline: number): Promise<number> {
  const started = epochMs();
  current = launch(home, { PORT: String(await freePort()), LOG_LEVEL: 'warn' });
  try {
    await untilReady(current, Math.max(10_000, deadline - Date.now()));
    return round((epochMs() - started) / 1000, 2);
  } finally {
    await stop(current, home);
    current = undefined;
  }
}

const freshHome = () => {
  const home = mkdtempSync(join(tmpdir(), 'parley-bench-startup-'));
  homes.add(home);
  return home;
};

async function cleanUp() {
  if (current) await stop(current, [...homes].at(-1)!);
  for (const home of homes) rmSync(home, { recursive: true, force: true });
}

async function main(): Promise<number> {
  const deadline = Date.now() + (maxSeconds - 60) * 1000;
  const cold: number[] = [];
  const warm: number[] = [];
  const reused = freshHome();
  cold.push(await timeToReady(reused, deadline));
  console.log(`cold 1: ${cold[0]} s`);
  for (let run = 1; run <= runs; run++) {
    warm.push(await timeToReady(reused, deadline));
    console.log(`warm ${run}: ${warm.at(-1)} s`);
  }
  for (let run = 2; run <= runs; run++) {
    const home = freshHome();
    cold.push(await timeToReady(home, deadline));
    console.log(`cold ${run}: ${cold.at(-1)} s`);
    rmSync(home, { recursive: true, force: true });
  }
  const median = (samples: number[]) =>
    percentile(
      [...samples].sort((a, b) => a - b),
      0.5,
    ) ?? Number.NaN;
  const summary = {
    coldMedianSeconds: median(cold),
    coldMaxSeconds: Math.max(...cold),
    warmMedianSeconds: median(warm),
    warmMaxSeconds: Math.max(...warm),
    runs,
  };
  console.log(JSON.stringify(summary, null, 2));
  writeScenarioResults(
    'startup',
    {
      summary,
      series: {
        readiness: [
          {
            label: 'cold',
            unit: 's to ready',
            xUnit: 'run',
            points: cold.map((seconds, index) => [index + 1, seconds]),
          },
          {
            label: 'warm',
            unit: 's to ready',
            xUnit: 'run',
            points: warm.map((seconds, index) => [index + 1, seconds]),
          },
        ],
      },
      settings: { runs, quick, maxSeconds },
      cold,
      warm,
    },
    values.out,
  );
  return 0;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => void cleanUp().finally(() => process.exit(130)));
const budget = setTimeout(
  () => {
    console.error(`--max-seconds ${maxSeconds} ran out`);
    void cleanUp().finally(() => process.exit(1));
  },
  (maxSeconds - 20) * 1000,
);
budget.unref();
main()
  .catch((error: unknown) => {
    console.error(error);
    return 1;
  })
  .then(async (code) => {
    await cleanUp();
    process.exit(code);
  });
