import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe } from '@jest/globals';

const repoRoot = join(__dirname, '..', '..');

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
export function devCredentials(home: string): {
  gatewayUrl: string;
  adminApiKey: string;
  apiKey: string;
  webhookSecret: string;
} {
  return JSON.parse(readFileSync(join(home, 'dev.json'), 'utf8')) as {
    gatewayUrl: string;
    adminApiKey: string;
    apiKey: string;
    webhookSecret: string;
  };
}

/** Every process (but this one) whose command line or environment names this PARLEY_HOME. */
export function processesOfHome(home: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((pid) => {
      try {
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        const environ = readFileSync(`/proc/${pid}/environ`, 'utf8');
        return cmdline.includes(home) || environ.split('\0').includes(`PARLEY_HOME=${home}`);
      } catch {
        return false;
      }
    })
    .filter((pid) => pid !== process.pid);
}

/**
 * `describe` for a suite that needs something outside the repository's npm packages, or `describe.skip`
 * with a one-line notice when it is missing outside CI. In CI (CI=true) a missing prerequisite fails the
 * run instead of hiding the suite, since `.ci/run` installs it.
 */
export function describeWhenAvailable(suite: string, unavailable: string | undefined) {
  if (unavailable && process.env.CI === 'true') throw new Error(`CI must run ${suite}, but: ${unavailable}`);
  if (unavailable) console.log(`skipping ${suite}: ${unavailable}`);
  return unavailable ? describe.skip : describe;
}
