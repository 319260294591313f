// tools/bench/RESULTS.md as `npm run bench` writes it: the machine, the date, and per scenario its summary
// figures against their targets, its processes' CPU and memory where it measured them, and its charts.
import type { ScenarioFile, Target } from './scenario';

export interface Machine {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  postgres: string;
  natsServer: string;
  /** The system's load average (1, 5, 15 minutes) when the run began: how busy the machine already was. */
  loadAverage: number[];
}

export interface ScenarioRun {
  name: string;
  /** ok / failed: ran now; missing: no script yet; not run: left out by --only (its last results shown). */
  status: 'ok' | 'failed' | 'missing' | 'not run';
  exitCode?: number | null;
  seconds?: number;
  results?: ScenarioFile;
  /** Chart files (relative to tools/bench) by chart name. */
  charts: { name: string; file: string }[];
}

/** A figure as the table shows it: grouped thousands, at most two decimals, a dash for no value. */
export function formatFigure(value: unknown): string {
  if (typeof value !== 'number' || !Number.isFinite(value)) return '—';
  return value.toLocaleString('en-US', { maximumFractionDigits: 2 });
}

/** Markdown table cells may not hold a pipe or a line break. */
const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

function statusLine(run: ScenarioRun): string {
  const took = run.seconds === undefined ? '' : ` in ${formatFigure(run.seconds)} s`;
  const measured = run.results ? `, results of ${run.results.date}` : ', no results';
  switch (run.status) {
    case 'ok':
      return `ran${took}${measured}`;
    case 'failed':
      return `**failed** (exit ${run.exitCode ?? 'by signal'})${took}${measured}`;
    case 'missing':
      return 'missing: no script yet';
    case 'not run':
      return `not run this time${measured}`;
  }
}

/**
 * '≤ ' or '≥ ' before a target: as the scenario said, or else as its figure and `met` tell (a figure above
 * its target that met it had to reach it; one below that met it had to stay under); nothing when unsure.
 */
function bearing(goal: Target, value: unknown): string {
  if (goal.atMost !== undefined) return goal.atMost ? '≤ ' : '≥ ';
  if (typeof value !== 'number' || !Number.isFinite(value) || value === goal.target) return '';
  return value > goal.target === goal.met ? '≥ ' : '≤ ';
}

function processTable(processes: unknown): string[] {
  if (typeof processes !== 'object' || processes === null) return [];
  const rows = Object.entries(processes as Record<string, { cpuSeconds?: number; peakPssMiB?: number }>);
  if (rows.length === 0 || rows.some(([, figures]) => typeof figures?.cpuSeconds !== 'number')) return [];
  return [
    '',
    '| process | CPU seconds | peak memory (PSS, MiB) |',
    '| --- | ---: | ---: |',
    ...rows.map(
      ([name, figures]) =>
        `| ${cell(name)} | ${formatFigure(figures.cpuSeconds)} | ${formatFigure(figures.peakPssMiB)} |`,
    ),
  ];
}

function scenarioSection(run: ScenarioRun): string[] {
  const lines = [`## ${run.name}`, '', statusLine(run)];
  const results = run.results;
  const load = results?.machine?.loadAverageAtStart;
  if (load)
    lines.push('', `Load average when it began: ${load.map(formatFigure).join(', ')} (1, 5, 15 min).`);
  if (results) {
    // Only targets in the contract's shape (results written before it held plain numbers).
    const targets = Object.fromEntries(
      Object.entries(results.targets ?? {}).filter(([, goal]) => typeof goal?.target === 'number'),
    );
    lines.push('', '| figure | value | target | met |', '| --- | ---: | ---: | :---: |');
    const names = [...new Set([...Object.keys(results.summary ?? {}), ...Object.keys(targets)])];
    for (const name of names) {
      const goal = targets[name];
      const bound = goal ? `${bearing(goal, results.summary?.[name])}${formatFigure(goal.target)}` : '';
      const met = goal ? (goal.met ? 'yes' : '**no**') : '';
      lines.push(`| ${cell(name)} | ${formatFigure(results.summary?.[name])} | ${bound} | ${met} |`);
    }
    lines.push(...processTable(results.processes));
  }
  for (const chart of run.charts) lines.push('', `![${cell(`${run.name}: ${chart.name}`)}](${chart.file})`);
  return lines;
}

/** The whole RESULTS.md. */
export function resultsMarkdown(options: {
  machine: Machine;
  date: string;
  quick: boolean;
  runs: ScenarioRun[];
  /** `--report`: nothing ran, the figures are the last runs' (each scenario says its own load). */
  reportOnly?: boolean;
}): string {
  const { machine } = options;
  const lines = [
    '# Benchmark results',
    '',
    (options.reportOnly
      ? `Redrawn from the last results by \`npm run bench -- --report\` on ${options.date}`
      : `Written by \`npm run bench${options.quick ? ' -- --quick' : ''}\` on ${options.date}`) +
      (options.quick ? ' (quick mode: small settings, not figures to quote).' : '.') +
      ' Each scenario, its settings and its targets: `tools/bench/README.md`; every figure: `tools/bench/results/<scenario>.json`.',
    '',
    '| machine | |',
    '| --- | --- |',
    `| CPU | ${cell(machine.cpuModel)}, ${machine.cores} cores |`,
    `| memory | ${formatFigure(machine.memoryGiB)} GiB |`,
    `| OS | ${cell(machine.os)} |`,
    `| Node | ${cell(machine.node)} |`,
    `| PostgreSQL | ${cell(machine.postgres)} |`,
    `| nats-server | ${cell(machine.natsServer)} |`,
    `| load average when ${options.reportOnly ? 'this report was written' : 'the run began'} | ${machine.loadAverage.map(formatFigure).join(', ')} (1, 5, 15 min) |`,
    '',
    '| scenario | this run |',
    '| --- | --- |',
    ...options.runs.map((run) => `| [${run.name}](#${run.name}) | ${cell(statusLine(run))} |`),
  ];
  for (const run of options.runs) lines.push('', ...scenarioSection(run));
  return `${lines.join('\n')}\n`;
}
