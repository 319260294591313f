import type { App, ServiceRuntime } from '@parley/kit';
import { createTestDatabase, testInfra, uniquePrefix, type TestDatabase } from './infra';
import { TEST_SUBJECT_HASH_KEY, testTokenEnv } from './callers';

export interface RunningService<A extends App = App & { runtime: ServiceRuntime }> {
  app: A;
  /** host:port of its gRPC server. */
  address: string;
  database: TestDatabase;
  natsPrefix: string;
  env: Record<string, string>;
  /** Stops the service (idempotent) and drops its database. */
  stop(): Promise<void>;
  /** Stops the process-equivalent but keeps its database, as a crash or a deploy would. */
  halt(): Promise<void>;
  /** Starts a new instance on the same database, NATS prefix and gRPC port. */
  restart(): Promise<void>;
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
    ...testTokenEnv(label),
    SUBJECT_HASH_KEY: TEST_SUBJECT_HASH_KEY,

    ...extraEnv,
  };
  const first = build(env);
  await first.start();
  const address = `127.0.0.1:${first.runtime.grpcPort}`;
  let halted: Promise<void> | undefined;
  let stopped: Promise<void> | undefined;
  const running: RunningService<A> = {
    app: first,
    address,
    database,
    natsPrefix,
    env,
    halt: () => {
      halted ??= running.app.stop();
      return halted;
    },
    restart: async () => {
      await running.halt();
      running.app = build({ ...env, GRPC_PORT: address.split(':')[1]! });
      await running.app.start();
      halted = undefined;
    },
    stop: () => {
      stopped ??= running.halt().then(() => database.drop());
      return stopped;
    },
  };
  return running;
}
