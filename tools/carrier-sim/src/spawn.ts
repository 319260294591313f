import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

/** A simulator (or any tool) running as its own process, once it has said it listens. */
export interface SpawnedTool<Listening> {
  /** Its `listening` line. */
  listening: Listening;
  child: ChildProcess;
  /** Resolves when the process has exited. */
  exited: Promise<void>;
  /** SIGTERM, then SIGKILL after `killAfterMs`; idempotent. */
  stop(): Promise<void>;
}

export interface SpawnToolOptions {
  env: Record<string, string | undefined>;
  /** Its own process group, so a Ctrl-C reaches only the parent (the launcher). */
  detached?: boolean;
  /** Every line it prints after `listening`, and before it for diagnostics. */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  startTimeoutMs?: number;
  killAfterMs?: number;
}

/**
 * Starts `node --import tsx <packageRoot>/src/main.ts` with `env` and waits for its first stdout line that
 * `listeningOf` recognises (a JSON `{"event":"listening",...}`); shared by the carrier and payment simulators.
 */
export async function spawnTool<Listening>(
  name: string,
  packageRoot: string,
  listeningOf: (line: Record<string, unknown>) => Listening | undefined,
  options: SpawnToolOptions,
): Promise<SpawnedTool<Listening>> {
  const child = spawn(
    process.execPath,
    ['--conditions=parley-source', '--import', 'tsx', join(packageRoot, 'src', 'main.ts')],
    {
      cwd: packageRoot,
      detached: options.detached ?? false,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: options.env,
    },
  );
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const recent: string[] = [];
  const remember = (line: string, stream: 'stdout' | 'stderr') => {
    recent.push(line);
    if (recent.length > 20) recent.shift();
    options.onLine?.(line, stream);
  };
  createInterface({ input: child.stderr! }).on('line', (line) => remember(line, 'stderr'));
  const stdout = createInterface({ input: child.stdout! });
  const listening = await new Promise<Listening>((done, fail) => {
    const timeoutMs = options.startTimeoutMs ?? 30_000;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`${name} did not start within ${timeoutMs} ms:\n${recent.join('\n')}`));
    }, timeoutMs);
    const onExit = (code: number | null) => {
      clearTimeout(timer);
      fail(new Error(`${name} exited (${code}) before listening:\n${recent.join('\n')}`));
    };
    child.once('exit', onExit);
    let started = false;
    stdout.on('line', (line) => {
      if (!started) {
        const parsed = parseLine(line);
        const recognised = parsed?.event === 'listening' ? listeningOf(parsed) : undefined;
        if (recognised !== undefined) {
          started = true;
          clearTimeout(timer);
          child.off('exit', onExit);
          done(recognised);
          return;
        }
      }
      remember(line, 'stdout');
    });
  });

  let stopped: Promise<void> | undefined;
  return {
    listening,
    child,
    exited,
    stop: () => {
      stopped ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), options.killAfterMs ?? 5_000);
        await exited;
        clearTimeout(timer);
      })();
      return stopped;
    },
  };
}

function parseLine(line: string): Record<string, unknown> | undefined {
  try {
    const parsed = JSON.parse(line) as unknown;
    return parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** How often a tool checks that the process that started it is still there. */
const ORPHAN_CHECK_MS = 1_000;

export interface SpawnedCarrierSim {
  /** Base URL of its HTTP API (from its `listening` line). */
  url: string;
  /** Where its SMSC listens for SMPP binds (from the same line). */
  smpp: { host: string; port: number };
  child: ChildProcess;
  /** Resolves when the process has exited. */
  exited: Promise<void>;
  /** SIGTERM, then SIGKILL after `killAfterMs`; idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts the simulator as its own process (`node --import tsx tools/carrier-sim/src/main.ts`) with
 * `env` (the CARRIER_SIM_* variables and whatever else the child needs) and waits for its `listening`
 * line. Used by the `npm start` launcher and the test helper.
 */
export async function spawnCarrierSim(options: SpawnToolOptions): Promise<SpawnedCarrierSim> {
  const { listening, child, exited, stop } = await spawnTool(
    'carrier-sim',
    resolve(__dirname, '..'),
    (line) => {
      const { url, smpp } = line as { url?: string; smpp?: { host: string; port: number } };
      return url && smpp ? { url, smpp } : undefined;
    },
    options,
  );
  return { ...listening, child, exited, stop };
}

/**
 * The process side of `spawnTool`, the `main` of the carrier and payment simulators: starts the tool,
 * prints its `{"event":"listening",...}` line, and stops it once on SIGTERM or SIGINT (exit 0, or 1 when
 * stopping failed). A start that fails exits 2, with just the message of a configuration error.
 */
export function runTool<Tool extends { stop(): Promise<void> }>(options: {
  name: string;
  start: () => Promise<Tool>;
  listening: (tool: Tool) => Record<string, unknown>;
  isConfigError: (error: unknown) => error is Error;
}): void {
  const main = async () => {
    const tool = await options.start();
    console.log(JSON.stringify({ event: 'listening', ...options.listening(tool) }));
    let stopping = false;
    const stop = () => {
      if (stopping) return;
      stopping = true;
      tool.stop().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    // A parent killed outright (SIGKILL) sends no signal: an orphan notices its new parent and stops too,
    // rather than holding its ports until the machine restarts.
    const parent = process.ppid;
    setInterval(() => {
      if (process.ppid !== parent) stop();
    }, ORPHAN_CHECK_MS).unref();
  };
  main().catch((error: unknown) => {
    console.error(options.isConfigError(error) ? `${options.name}: ${error.message}` : error);
    process.exit(2);
  });
}
