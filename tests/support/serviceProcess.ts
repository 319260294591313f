import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { TEST_SUBJECT_HASH_KEY, testTokenEnv } from './callers';
import { createDatabase, createPool, type Database } from '@parley/kit';
import type pg from 'pg';
import { createTestDatabase, testInfra, type TestDatabase } from './infra';

const repoRoot = join(__dirname, '..', '..');

/**
 * Runs a service's `main.ts` as its own process (as `npm start` does), so a test can SIGKILL it, and
 * resolves once its gRPC server listens. `children` collects it for the test's clean-up.
 */
export function startServiceProcess(
  service: string,
  env: Record<string, string>,
  children: ChildProcess[],
): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ['--conditions=parley-source', '--import', 'tsx', join(repoRoot, `services/${service}/src/main.ts`)],
    {
      cwd: repoRoot,
      env: { ...process.env, ...env, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  children.push(child);
  return new Promise((resolve, reject) => {
    let seen = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      if (seen.includes('gRPC server listening')) return;
      seen += chunk.toString();
      if (seen.includes('gRPC server listening')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`${service} exited with ${code} before it was ready`)));
  });
}

/**
 * The variables a service process under test needs: its database, the test NATS under `natsPrefix`, a
 * fixed gRPC port (so a restart answers where the first one did), and its test keys; `extra` adds its own.
 */
export function serviceProcessEnv(
  service: string,
  options: { databaseUrl: string; natsPrefix: string; grpcPort: number },
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    DATABASE_URL: options.databaseUrl,
    NATS_URL: testInfra().natsUrl,
    NATS_PREFIX: options.natsPrefix,
    GRPC_HOST: '127.0.0.1',
    GRPC_PORT: String(options.grpcPort),
    METRICS_PORT: '0',
    SHUTDOWN_TIMEOUT_MS: '2000',
    ...testTokenEnv(service),
    SUBJECT_HASH_KEY: TEST_SUBJECT_HASH_KEY,
    ...extra,
  };
}

/**
 * A service run as its own processes, for SIGKILL tests: a fresh database (and a small pool on it for the
 * test's own checks), a NATS prefix, and the processes started, all cleaned up by `close`.
 */
export class ServiceProcesses {
  readonly children: ChildProcess[] = [];
  database!: TestDatabase;
  pool!: pg.Pool;
  db!: Database;

  constructor(
    readonly service: string,
    readonly natsPrefix: string,
  ) {}

  async open(): Promise<void> {
    this.database = await createTestDatabase(`${this.service}-processes`);
    this.pool = createPool(this.database.url, 2);
    this.db = createDatabase(this.pool);
  }

  /** Starts one more process of the service on `grpcPort` (the same port again after a kill). */
  start(grpcPort: number, extra: Record<string, string> = {}): Promise<ChildProcess> {
    return startServiceProcess(
      this.service,
      serviceProcessEnv(
        this.service,
        { databaseUrl: this.database.url, natsPrefix: this.natsPrefix, grpcPort },
        extra,
      ),
      this.children,
    );
  }

  async close(): Promise<void> {
    for (const child of this.children)
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await this.pool?.end();
    await this.database?.drop();
  }
}
