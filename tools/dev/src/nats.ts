import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, chmodSync, constants, mkdirSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import type { NatsPermissions } from '@parley/kit/src/events/permissions';
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

/** A NATS user of one service: its password and what it may publish and subscribe to. */
export interface NatsUser {
  user: string;
  password: string;
  permissions: NatsPermissions;
}

/**
 * A nats-server configuration: loopback listener, JetStream under `storeDir`, and when `users` are given,
 * one user per service whose permissions allow only what is listed (everything else is refused).
 */
export function natsServerConfig(options: { port: number; storeDir: string; users?: NatsUser[] }): string {
  const quote = (value: string) => JSON.stringify(value);
  const list = (values: string[]) => `[${values.map(quote).join(', ')}]`;
  const lines = [
    `listen: ${quote(`127.0.0.1:${options.port}`)}`,
    `jetstream: { store_dir: ${quote(options.storeDir)} }`,
  ];
  if (options.users?.length) {
    lines.push('authorization: {', '  users: [');
    for (const { user, password, permissions } of options.users) {
      lines.push(
        `    { user: ${quote(user)}, password: ${quote(password)}, permissions: {`,
        `        publish: { allow: ${list(permissions.publish)} },`,
        `        subscribe: { allow: ${list(permissions.subscribe)} } } }`,
      );
    }
    lines.push('  ]', '}');
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Starts nats-server with JetStream on loopback, storing streams under `storeDir`. With `users`, it runs
 * from a config file written to `configFile` (mode 0600: it holds the passwords) and admits only them.
 */
export async function startNats(options: {
  binary: string;
  port: number;
  storeDir: string;
  users?: NatsUser[];
  configFile?: string;
  onLog?: (line: string) => void;
}): Promise<NatsServer> {
  mkdirSync(options.storeDir, { recursive: true });
  let args = ['-a', '127.0.0.1', '-p', String(options.port), '-js', '-sd', options.storeDir];
  if (options.users?.length) {
    const configFile = options.configFile ?? join(dirname(options.storeDir), 'nats.conf');
    writeFileSync(configFile, natsServerConfig(options), { mode: 0o600 });
    chmodSync(configFile, 0o600);
    args = ['-c', configFile];
  }
  const child = spawn(options.binary, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
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
