// What every scenario of `npm run bench` writes (tools/bench/results/<scenario>.json), and what `bench.ts`
// reads back to draw the charts and the RESULTS.md table. The contract is in tools/bench/README.md.
import { join } from 'node:path';
import type { ChartSeries } from './chart';
import { writeMicroResults } from './micro';

export interface Target {
  target: number;
  met: boolean;
  /**
   * Whether the figure must stay at or below the target (latency) rather than reach it (a rate). When absent,
   * RESULTS.md infers it from the figure and `met` where it can.
   */
  atMost?: boolean;
}

export interface ScenarioResults {
  /** The headline figures, by metric name (unit in the name: `acceptedPerSecond`, `acceptP99Ms`). */
  summary: Record<string, number>;
  targets?: Record<string, Target>;
  /** Charts by name, each one or more lines. */
  series?: Record<string, ChartSeries[]>;
  /** Anything else the scenario records (settings, details). */
  [detail: string]: unknown;
}

/** The whole results file, as `writeScenarioResults` writes it. */
export interface ScenarioFile extends ScenarioResults {
  scenario: string;
  date: string;
  machine: {
    cpus: number;
    cpuModel?: string;
    memoryBytes: number;
    node: string;
    /** The load average (1, 5, 15 min) when the scenario began; absent in results written before it was kept. */
    loadAverageAtStart?: number[];
  };
}

export const RESULTS_DIR = join(__dirname, '..', 'results');

export const resultsFile = (scenario: string) => join(RESULTS_DIR, `${scenario}.json`);

/** Writes `tools/bench/results/<scenario>.json` (or `out`) with the date and the machine. */
export function writeScenarioResults(
  scenario: string,
  results: ScenarioResults,
  out = resultsFile(scenario),
) {
  writeMicroResults(out, scenario, results);
}

/** A target a figure must reach (`atLeast`) or stay under (`atMost`). */
export function target(value: number, goal: number, direction: 'atLeast' | 'atMost'): Target {
  return direction === 'atMost'
    ? { target: goal, met: Number.isFinite(value) && value <= goal, atMost: true }
    : { target: goal, met: Number.isFinite(value) && value >= goal, atMost: false };
}

/** `--quick` and `--max-seconds` with the scenario's own defaults for both modes. */
export function budgetOptions(
  values: { quick?: boolean; 'max-seconds'?: string },
  full: number,
  quick: number,
) {
  const maxSeconds = Number(values['max-seconds'] ?? (values.quick ? quick : full));
  if (!Number.isInteger(maxSeconds) || maxSeconds < 60) throw new Error('--max-seconds: 60 or more');
  return { quick: values.quick === true, maxSeconds };
}
