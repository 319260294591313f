import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { waitForPort } from './ports';

export const NATS_INSTALL_HINT =
  'nats-server not found: install it (Debian: `apt-get install nats-server`; or `go install github.com/nats-io/nats-server/v2@latest`) or set NATS_SERVER_BIN to its path';

/** Finds nats-server through NATS_SERVER_BIN or PATH; undefined when it is not installed. */
export function findNatsServer(env: Record<string, string | undefined>): string | undefined {
  const candidates = env.NATS_SERVER_BIN
    ? [env.NATS_SERVER_BIN]
    : (env.PATH ?? '')
        .split(delimiter)
        .concat(['/usr/sbin', '/usr/local/sbin'])
        .map((dir) => join(dir, 'nats-server'));
  return candidates.find((candidate) => {
    try {
      accessSync(candidate, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

export interface NatsServer {
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Starts nats-server with JetStream on loopback, storing streams under `storeDir`. */
export async function startNats(options: {
  binary: string;
  port: number;
  storeDir: string;
  onLog?: (line: string) => void;
}): Promise<NatsServer> {
  mkdirSync(options.storeDir, { recursive: true });
  const child = spawn(
    options.binary,
    ['-a', '127.0.0.1', '-p', String(options.port), '-js', '-sd', options.storeDir],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    },
  );
  let output = '';
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    for (const line of chunk.toString().split('\n')) if (line.trim()) options.onLog?.(line);
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const died = exited.then(() => {
    throw new Error(`nats-server exited before it was ready:\n${output}`);
  });
  died.catch(() => undefined);
  await Promise.race([waitForPort(options.port, 20_000), died]);
  return {
    url: `nats://127.0.0.1:${options.port}`,
    process: child,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}
