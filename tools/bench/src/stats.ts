import { readFileSync, readdirSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';

/** The value below which `fraction` of the samples fall (nearest-rank), or undefined for no samples. */
export function percentile(sorted: readonly number[], fraction: number): number | undefined {
  if (sorted.length === 0) return undefined;
  const rank = Math.ceil(fraction * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export function latencySummary(samplesMs: number[]): {
  p50: number;
  p99: number;
  max: number;
  samples: number;
} {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const round = (value: number | undefined) => Math.round((value ?? Number.NaN) * 100) / 100;
  return {
    p50: round(percentile(sorted, 0.5)),
    p99: round(percentile(sorted, 0.99)),
    max: round(sorted[sorted.length - 1]),
    samples: sorted.length,
  };
}

/**
 * Resident memory of a process and all its descendants, in bytes (Linux /proc); 0 where unreadable. With
 * `proportional`, each process's PSS (smaps_rollup): memory shared between them (PostgreSQL's shared
 * buffers, mapped by every backend) is divided among them instead of counted once per process.
 */
export function treeRssBytes(pid: number, proportional = false): number {
  let total = 0;
  const stack = [pid];
  while (stack.length > 0) {
    const current = stack.pop()!;
    try {
      const source = proportional ? `/proc/${current}/smaps_rollup` : `/proc/${current}/status`;
      const match = (proportional ? /^Pss:\s+(\d+)\s+kB/m : /^VmRSS:\s+(\d+)\s+kB/m).exec(
        readFileSync(source, 'utf8'),
      );
      if (match) total += Number(match[1]) * 1024;
      for (const task of readdirSync(`/proc/${current}/task`)) {
        const children = readFileSync(`/proc/${current}/task/${task}/children`, 'utf8').trim();
        if (children) stack.push(...children.split(/\s+/).map(Number));
      }
    } catch {
      // The process ended between two reads, or /proc is not there (not Linux).
    }
  }
  return total;
}

/**
 * `treeRssBytes` without blocking the event loop: the kernel walks a process's page tables to answer
 * smaps_rollup, tens of milliseconds for a large one, which a load generator cannot spend on its own loop.
 */
export async function treeRssBytesAsync(pid: number, proportional = false): Promise<number> {
  let total = 0;
  const stack = [pid];
  while (stack.length > 0) {
    const current = stack.pop()!;
    try {
      const source = proportional ? `/proc/${current}/smaps_rollup` : `/proc/${current}/status`;
      const match = (proportional ? /^Pss:\s+(\d+)\s+kB/m : /^VmRSS:\s+(\d+)\s+kB/m).exec(
        await readFile(source, 'utf8'),
      );
      if (match) total += Number(match[1]) * 1024;
      for (const task of await readdir(`/proc/${current}/task`)) {
        const children = (await readFile(`/proc/${current}/task/${task}/children`, 'utf8')).trim();
        if (children) stack.push(...children.split(/\s+/).map(Number));
      }
    } catch {
      // The process ended between two reads, or /proc is not there (not Linux).
    }
  }
  return total;
}

/** Samples peak resident memory of this process and of the servers it started. */
export class MemorySampler {
  private timer?: NodeJS.Timeout;
  readonly peaks = { benchRss: 0, natsServerRss: 0, postgresRss: 0 };

  constructor(private readonly pids: { nats?: number; postgres?: number }) {}

  start(everyMs = 200): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.sample();
    // maxRSS (kilobytes) is the kernel's own high-water mark for this process, between samples too.
    this.peaks.benchRss = Math.max(this.peaks.benchRss, process.resourceUsage().maxRSS * 1024);
  }

  private sample(): void {
    this.peaks.benchRss = Math.max(this.peaks.benchRss, process.memoryUsage.rss());
    if (this.pids.nats)
      this.peaks.natsServerRss = Math.max(this.peaks.natsServerRss, treeRssBytes(this.pids.nats));
    if (this.pids.postgres)
      this.peaks.postgresRss = Math.max(this.peaks.postgresRss, treeRssBytes(this.pids.postgres));
  }
}

export const mebibytes = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

/** CPU seconds (user + system) a process and its descendants have used so far (Linux /proc; 0 elsewhere). */
export function treeCpuSeconds(pid: number): number {
  const ticksPerSecond = 100; // USER_HZ: 100 on every Linux architecture Node supports
  let ticks = 0;
  const stack = [pid];
  while (stack.length > 0) {
    const current = stack.pop()!;
    try {
      const stat = readFileSync(`/proc/${current}/stat`, 'utf8');
      // Fields after the command name (which may hold spaces), from its closing parenthesis: state is 3.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]); // utime (14), stime (15)
      for (const task of readdirSync(`/proc/${current}/task`)) {
        const children = readFileSync(`/proc/${current}/task/${task}/children`, 'utf8').trim();
        if (children) stack.push(...children.split(/\s+/).map(Number));
      }
    } catch {
      // The process ended between two reads, or /proc is not there (not Linux).
    }
  }
  return ticks / ticksPerSecond;
}
