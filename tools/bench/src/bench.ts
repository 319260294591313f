// `npm run bench`: every scenario one after the other, each as its own process (`npm run bench:<name>`
// alone does the same for one), then one SVG chart per series and tools/bench/RESULTS.md. See
// tools/bench/README.md for the scenarios and the results contract between them and this runner.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem, type as osType } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { findNatsServer } from '../../dev/src/nats';
import { postgresBinaries } from '../../dev/src/postgres';
import { lineChartSvg } from './chart';
import { resultsMarkdown, type Machine, type ScenarioRun } from './report';
import { RESULTS_DIR, resultsFile, type ScenarioFile } from './scenario';

/** Every scenario, in the order they run. */
export const SCENARIOS = ['messaging', 'fairness', 'dsr', 'retention', 'startup'] as const;

const benchDir = join(__dirname, '..');
const repoRoot = join(benchDir, '..', '..');

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    only: { type: 'string' },
    quick: { type: 'boolean', default: false },
    /** No runs: charts and RESULTS.md again from the results files there. */
    report: { type: 'boolean', default: false },
    'scenario-timeout': { type: 'string', default: '3600' },
  },
});
const selected = values.report
  ? []
  : values.only
    ? values.only.split(',').map((name) => name.trim())
    : [...SCENARIOS];
for (const name of selected)
  if (!(SCENARIOS as readonly string[]).includes(name))
    throw new Error(`--only: ${name} is not one of ${SCENARIOS.join(', ')}`);
const scenarioTimeoutMs = Number(values['scenario-timeout']) * 1000;
if (!Number.isInteger(scenarioTimeoutMs) || scenarioTimeoutMs <= 0)
  throw new Error('--scenario-timeout: a positive whole number of seconds');

let running: ReturnType<typeof spawn> | undefined;
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => {
    // The scenario cleans up after itself on SIGTERM (its platform, its data); then this exits too.
    running?.kill('SIGTERM');
    process.exitCode = 130;
    selected.length = 0;
  });

/** Runs one scenario's script as a child process; its exit code (null when killed by a signal). */
function runScenario(script: string): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--conditions=parley-source', '--import', 'tsx', script, ...(values.quick ? ['--quick'] : [])],
      { cwd: repoRoot, stdio: 'inherit' },
    );
    running = child;
    // Scenarios stop themselves within their --max-seconds; this only catches one that hangs regardless.
    const timer = setTimeout(() => {
      console.error(`${script}: over --scenario-timeout, stopping it`);
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 60_000).unref();
    }, scenarioTimeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      running = undefined;
      resolve(code);
    });
  });
}

function readResults(name: string): ScenarioFile | undefined {
  const file = resultsFile(name);
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as ScenarioFile;
  } catch {
    return undefined;
  }
}

/** The first line a binary prints for `--version`, or what went wrong. */
function versionOf(binary: string | undefined, pattern: RegExp): string {
  if (!binary) return 'not found';
  try {
    const printed = execFileSync(binary, ['--version'], { encoding: 'utf8', timeout: 10_000 });
    return pattern.exec(printed)?.[1] ?? printed.trim();
  } catch (error) {
    return `unknown (${(error as Error).message.split('\n')[0]})`;
  }
}

function machine(loadAverage: number[]): Machine {
  return {
    loadAverage: loadAverage.map((load) => Math.round(load * 100) / 100),
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    os: `${osType()} ${release()} ${process.arch}`,
    node: process.version,
    postgres: versionOf(postgresBinaries().postgres, /\(PostgreSQL\)\s+(\S+)/),
    natsServer: versionOf(findNatsServer(process.env), /v?(\d+\.\d+\.\d+\S*)/),
  };
}

/** One SVG per series of a scenario's results; the files, relative to tools/bench. */
function writeCharts(name: string, results: ScenarioFile | undefined) {
  return Object.entries(results?.series ?? {}).map(([chart, series]) => {
    const file = `${name}-${chart}.svg`;
    writeFileSync(join(RESULTS_DIR, file), lineChartSvg(`${name}: ${chart}`, series));
    return { name: chart, file: `results/${file}` };
  });
}

async function main(): Promise<number> {
  const started = new Date();
  const loadAtStart = loadavg();
  const runs: ScenarioRun[] = [];
  for (const name of SCENARIOS) {
    const script = join(__dirname, `${name}.ts`);
    if (!selected.includes(name)) {
      const results = readResults(name);
      runs.push({ name, status: 'not run', results, charts: writeCharts(name, results) });
      continue;
    }
    if (!existsSync(script)) {
      console.log(`\n=== ${name}: missing (no ${script} yet), going on`);
      runs.push({ name, status: 'missing', charts: [] });
      continue;
    }
    console.log(`\n=== ${name}${values.quick ? ' (quick)' : ''}`);
    const began = Date.now();
    const exitCode = await runScenario(script);
    const seconds = Math.round((Date.now() - began) / 1000);
    // Results older than this run are from an earlier one: not this run's.
    const found = readResults(name);
    const results = found && Date.parse(found.date) >= began ? found : undefined;
    runs.push({
      name,
      status: exitCode === 0 ? 'ok' : 'failed',
      exitCode,
      seconds,
      results,
      charts: writeCharts(name, results),
    });
    console.log(`=== ${name}: ${exitCode === 0 ? 'ok' : `failed (exit ${exitCode})`} in ${seconds} s`);
  }
  const out = join(benchDir, 'RESULTS.md');
  writeFileSync(
    out,
    resultsMarkdown({
      machine: machine(loadAtStart),
      date: started.toISOString(),
      quick: values.quick === true,
      runs,
      reportOnly: values.report === true,
    }),
  );
  console.log(`\nwritten ${out}`);
  for (const run of runs) console.log(`${run.name.padEnd(10)} ${run.status}`);
  return runs.some((run) => run.status === 'failed') ? 1 : 0;
}

void main().then((code) => process.exit(process.exitCode ?? code));
