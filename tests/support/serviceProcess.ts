import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { TEST_SUBJECT_HASH_KEY, testTokenEnv } from './callers';
import { testInfra } from './infra';

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
