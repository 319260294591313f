// Starting `npm start` from a script: the launcher as a child process in a given PARLEY_HOME, its
// readiness, and what it wrote into dev.json. Used by the e2e tests and the benchmarks.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DevCredentials } from './seed';

const repoRoot = join(__dirname, '..', '..', '..');

/** A launcher started by a test: its process, everything it printed so far, and its exit. */
export interface Launch {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** Runs the launcher exactly as `npm start` does, in the given PARLEY_HOME. */
export function launch(home: string, env: Record<string, string> = {}): Launch {
  let output = '';
  const child = spawn(
    process.execPath,
    ['--conditions=parley-source', '--import', 'tsx', 'tools/dev/src/main.ts'],
    {
      cwd: repoRoot,
      env: { ...process.env, PARLEY_HOME: home, NO_COLOR: '1', LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return {
    child,
    output: () => output,
    exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))),
  };
}

/** Waits for the launcher's `| ready` line; fails with its output if it exits or takes too long. */
export async function untilReady(run: Launch, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (/\| ready\n/.test(run.output())) return;
    if (run.child.exitCode !== null)
      throw new Error(`launcher exited ${run.child.exitCode}:\n${run.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`launcher not ready after ${timeoutMs / 1000} s:\n${run.output()}`);
}

/** What the launcher wrote into `<home>/dev.json` for scripts: the gateway, the admin and demo keys. */
export function devCredentials(home: string): DevCredentials {
  return JSON.parse(readFileSync(join(home, 'dev.json'), 'utf8')) as DevCredentials;
}
