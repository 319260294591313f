import type { App, ServiceRuntime } from '@parley/kit';
import { createTestDatabase, testInfra, uniquePrefix, type TestDatabase } from './infra';
import { TEST_INTERNAL_TOKEN_KEY } from './callers';

export interface RunningService<A extends App = App & { runtime: ServiceRuntime }> {
  app: A;
  /** host:port of its gRPC server. */
  address: string;
  database: TestDatabase;
  natsPrefix: string;
  env: Record<string, string>;
  /** Stops the service (idempotent) and drops its database. */
  stop(): Promise<void>;
}

/**
 * Boots a service in this process against its own fresh database and NATS prefix, on a free gRPC port,
 * exactly as main.ts would (migrations applied, streams and consumers ensured, gRPC served).
 */
export async function startService<A extends App & { runtime: ServiceRuntime }>(
  label: string,
  build: (env: Record<string, string>) => A,
  extraEnv: Record<string, string> = {},
): Promise<RunningService<A>> {
  const database = await createTestDatabase(label);
  const natsPrefix = extraEnv.NATS_PREFIX ?? uniquePrefix(label);
  const env = {
    DATABASE_URL: database.url,
    NATS_URL: testInfra().natsUrl,
    NATS_PREFIX: natsPrefix,
    GRPC_HOST: '127.0.0.1',
    GRPC_PORT: '0',
    METRICS_PORT: '0',
    LOG_LEVEL: process.env.PARLEY_TEST_LOG_LEVEL ?? 'silent',
    SHUTDOWN_TIMEOUT_MS: '2000',
    INTERNAL_TOKEN_KEY: TEST_INTERNAL_TOKEN_KEY,

    ...extraEnv,
  };
  const app = build(env);
  await app.start();
  let stopped: Promise<void> | undefined;
  return {
    app,
    address: `127.0.0.1:${app.runtime.grpcPort}`,
    database,
    natsPrefix,
    env,
    stop: () => {
      stopped ??= app.stop().then(() => database.drop());
      return stopped;
    },
  };
}
