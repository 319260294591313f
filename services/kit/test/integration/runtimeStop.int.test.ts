// A service's stop is bounded: an event handler that never returns (stuck on a lock, waiting on a peer that
// never answers) is given SHUTDOWN_TIMEOUT_MS and then left behind, so a SIGTERM always ends the process.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { createLogger, parseEnv, ServiceRuntime, serviceEnv, type EventHandler } from '@parley/kit';
import { TEST_SUBJECT_HASH_KEY, testTokenEnv } from '../../../../tests/support/callers';
import {
  createTestDatabase,
  testInfra,
  uniquePrefix,
  type TestDatabase,
} from '../../../../tests/support/infra';
import { ITEM_EVENT, itemMessage, type Item } from './fixtures/itemEvent';

describe('ServiceRuntime.stop', () => {
  let database: TestDatabase | undefined;

  afterAll(async () => {
    await database?.drop();
  });

  it('ends within its shutdown timeout while an event handler never returns, and says which step it left', async () => {
    database = await createTestDatabase('kitstop');
    const env = parseEnv(serviceEnv({}), {
      DATABASE_URL: database.url,
      NATS_URL: testInfra().natsUrl,
      NATS_PREFIX: uniquePrefix('kitstop'),
      GRPC_HOST: '127.0.0.1',
      GRPC_PORT: '0',
      METRICS_PORT: '0',
      SHUTDOWN_TIMEOUT_MS: '300',
      ...testTokenEnv('kittest'),
      SUBJECT_HASH_KEY: TEST_SUBJECT_HASH_KEY,
    });
    const warnings: { step?: string; msg?: string }[] = [];
    const log = createLogger({
      service: 'kittest',
      version: '0',
      level: 'warn',
      destination: {
        write: (line: string) => void warnings.push(JSON.parse(line) as { step?: string; msg?: string }),
      },
    });
    let entered: () => void = () => undefined;
    const handlerEntered = new Promise<void>((resolve) => (entered = resolve));
    const stuck: EventHandler<Item> = {
      durable: 'kittest-stuck',
      eventType: ITEM_EVENT,
      messageType: itemMessage,
      handle: async () => {
        entered();
        await new Promise(() => undefined);
      },
    };
    const runtime = new ServiceRuntime({
      service: 'kittest',
      version: '0',
      env,
      log,
      assets: {
        migrations: [{ scope: 'kit', dir: join(__dirname, '../../src/db/migrations') }],
        protoDir: join(__dirname, '../../../../proto'),
      },
      protoFiles: [],
    });
    await runtime.start({ grpcServices: [], consumers: [stuck] });
    await runtime.withTenant('acme', (tx) =>
      runtime.outbox.enqueue(tx, {
        type: ITEM_EVENT,
        tenantId: 'acme',
        payloadType: 'kittest.Item',
        messageType: itemMessage,
        payload: { item: 1 },
      }),
    );
    await handlerEntered;

    const started = Date.now();
    await runtime.stop();
    const took = Date.now() - started;

    // 300 ms for the stuck step plus its one-second slack, and the other steps' own time.
    expect(took).toBeLessThan(10_000);
    expect(warnings).toContainEqual(
      expect.objectContaining({ step: 'consumers', msg: 'a shutdown step did not finish in time; going on' }),
    );
    // The other steps finished, but the pool, whose client the stuck handler's transaction still holds.
    expect(warnings.filter((line) => line.step).map((line) => line.step)).toEqual(['consumers', 'pool']);
  }, 60_000);
});
