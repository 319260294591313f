// Stand-ins for the services whose events billing rates: a real ServiceRuntime named after the producer
// (its own database with the kit's outbox, its own JetStream stream, its relay), so events reach billing
// exactly as the real services publish them, without running numbering and messaging with their carriers.
import { join } from 'node:path';
import { parseEnv, ServiceRuntime, serviceEnv, type NewEvent, type Transaction } from '@parley/kit';
import { messagingV1 } from '@parley/proto';
import { TEST_SUBJECT_HASH_KEY, testTokenEnv } from '../../../../tests/support/callers';
import { createTestDatabase, testInfra, type TestDatabase } from '../../../../tests/support/infra';

export interface Producer {
  runtime: ServiceRuntime;
  /** Enqueues in one transaction (the relay publishes after commit). */
  publish(work: (tx: Transaction, runtime: ServiceRuntime) => Promise<void>, tenantId: string): Promise<void>;
  /** Enqueues one event in its own transaction. */
  emit<T>(event: NewEvent<T>): Promise<void>;
  stop(): Promise<void>;
}

export async function startProducer(service: string, natsPrefix: string): Promise<Producer> {
  const database: TestDatabase = await createTestDatabase(`${service}-producer`);
  const env = parseEnv(serviceEnv({}), {
    DATABASE_URL: database.url,
    NATS_URL: testInfra().natsUrl,
    NATS_PREFIX: natsPrefix,
    GRPC_HOST: '127.0.0.1',
    GRPC_PORT: '0',
    METRICS_PORT: '0',
    LOG_LEVEL: 'silent',
    SHUTDOWN_TIMEOUT_MS: '2000',
    ...testTokenEnv(service),
    SUBJECT_HASH_KEY: TEST_SUBJECT_HASH_KEY,
  });
  const runtime = new ServiceRuntime({
    service,
    version: '0',
    env,
    assets: {
      migrations: [{ scope: 'kit', dir: join(__dirname, '../../../kit/src/db/migrations') }],
      protoDir: join(__dirname, '../../../../proto'),
    },
    protoFiles: [],
  });
  await runtime.start({ grpcServices: [] });
  return {
    runtime,
    publish: (work, tenantId) => runtime.withTenant(tenantId, (tx) => work(tx, runtime)),
    emit: (event) =>
      runtime.withTenant(event.tenantId, (tx) => runtime.outbox.enqueue(tx, event).then(() => undefined)),
    stop: async () => {
      await runtime.stop();
      await database.drop();
    },
  };
}

/** messaging.message.sent of an outbound SMS, as messaging publishes it. */
export function messageSent(
  tenantId: string,
  payload: Pick<messagingV1.MessageSent, 'messageId' | 'segments' | 'destinationCountry'> &
    Partial<messagingV1.MessageSent>,
): NewEvent<messagingV1.MessageSent> {
  return {
    type: 'messaging.message.sent',
    tenantId,
    key: `message:${payload.messageId}`,
    payloadType: 'parley.messaging.v1.MessageSent',
    messageType: messagingV1.MessageSent,
    payload: {
      accountId: '',
      encoding: 'GSM-7',
      from: '+4930123456',
      to: '+4915112345678',
      senderClass: 'long_code',
      kind: 'sms',
      sentAt: new Date(),
      ...payload,
    },
  };
}
