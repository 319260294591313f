// What the in-process micro-benchmarks (no servers: `bench:request-checks`, `bench:segments`) share: the
// timing loop, the command-line options, the printed line and the results file with the machine.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

export interface Timing {
  iterations: number;
  perSecond: number;
  microseconds: number;
}

/**
 * Calls `work` `iterations` times after a warm-up and times it. `work` returns a number that is summed
 * and handed back as `total`, so the call cannot be optimised away and the caller can check the answers.
 */
export function timeCalls(work: () => number, iterations: number): Timing & { total: number } {
  for (let i = 0; i < Math.min(iterations, 10_000); i++) work(); // warm up
  const started = performance.now();
  let total = 0;
  for (let i = 0; i < iterations; i++) total += work();
  const seconds = (performance.now() - started) / 1000;
  return {
    iterations,
    perSecond: Math.round(iterations / seconds),
    microseconds: (seconds / iterations) * 1e6,
    total,
  };
}

/** `--iterations` (a positive integer) and `--out` (the results file, by default under results/). */
export function microBenchOptions(defaults: { iterations: number; resultsFile: string }): {
  iterations: number;
  out: string;
} {
  const { values } = parseArgs({
    options: {
      iterations: { type: 'string', default: String(defaults.iterations) },
      out: { type: 'string', default: join(__dirname, '..', 'results', defaults.resultsFile) },
    },
  });
  const iterations = Number(values.iterations);
  if (!Number.isInteger(iterations) || iterations < 1)
    throw new Error('--iterations must be a positive integer');
  return { iterations, out: resolve(values.out) };
}

/** One printed line: the name, µs per `unit` and calls per second, in aligned columns. */
export function timingLine(name: string, timing: Timing, unit: string, nameWidth = 34): string {
  return `${name.padEnd(nameWidth)} ${timing.microseconds.toFixed(2).padStart(9)} µs/${unit}  ${String(timing.perSecond).padStart(10)} /s`;
}

/** Writes the results as JSON with the date and the machine they were measured on. */
/** The load average (1, 5, 15 min) when this process began: how busy the machine was before the run. */
const LOAD_AT_START = loadavg().map((load) => Math.round(load * 100) / 100);

export function writeMicroResults(out: string, scenario: string, results: Record<string, unknown>): void {
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(
    out,
    `${JSON.stringify(
      {
        scenario,
        date: new Date().toISOString(),
        machine: {
          cpus: cpus().length,
          cpuModel: cpus()[0]?.model,
          memoryBytes: totalmem(),
          node: process.version,
          loadAverageAtStart: LOAD_AT_START,
        },
        ...results,
      },
      null,
      2,
    )}\n`,
  );
  console.log(`written ${out}`);
}
