import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

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
export async function spawnCarrierSim(options: {
  env: Record<string, string | undefined>;
  /** Its own process group, so a Ctrl-C reaches only the parent (the launcher). */
  detached?: boolean;
  /** Every line it prints after `listening`, and before it for diagnostics. */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  startTimeoutMs?: number;
  killAfterMs?: number;
}): Promise<SpawnedCarrierSim> {
  const packageRoot = resolve(__dirname, '..');
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
  const { url, smpp } = await new Promise<{ url: string; smpp: { host: string; port: number } }>(
    (done, fail) => {
      const timeoutMs = options.startTimeoutMs ?? 30_000;
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        fail(new Error(`carrier-sim did not start within ${timeoutMs} ms:\n${recent.join('\n')}`));
      }, timeoutMs);
      const onExit = (code: number | null) => {
        clearTimeout(timer);
        fail(new Error(`carrier-sim exited (${code}) before listening:\n${recent.join('\n')}`));
      };
      child.once('exit', onExit);
      let listening = false;
      stdout.on('line', (line) => {
        if (!listening) {
          const parsed = parseLine(line);
          if (parsed?.event === 'listening' && parsed.url && parsed.smpp) {
            listening = true;
            clearTimeout(timer);
            child.off('exit', onExit);
            done({ url: parsed.url, smpp: parsed.smpp });
            return;
          }
        }
        remember(line, 'stdout');
      });
    },
  );

  let stopped: Promise<void> | undefined;
  return {
    url,
    smpp,
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

interface ListeningLine {
  event?: string;
  url?: string;
  smpp?: { host: string; port: number };
}

function parseLine(line: string): ListeningLine | undefined {
  try {
    return JSON.parse(line) as ListeningLine;
  } catch {
    return undefined;
  }
}
