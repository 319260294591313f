import { jetstreamManager } from '@nats-io/jetstream';
import { connectNats, type ServiceRuntime } from '@parley/kit';
import { eventsV1 } from '@parley/proto';
import { sql } from 'drizzle-orm';
import { eventually } from './grpc';
import { testInfra } from './infra';

/** Every event a service published to its own stream, once its outbox has drained, in stream order. */
export async function publishedEvents(
  runtime: ServiceRuntime,
  service: string,
): Promise<eventsV1.Envelope[]> {
  await eventually('the outbox to drain', async () => {
    const pending = await runtime.db.execute<{ n: number }>(sql`select count(*)::int as n from kit_outbox`);
    if (pending.rows[0]?.n !== 0) throw new Error('still pending');
  });
  const nats = await connectNats({ url: testInfra().natsUrl, name: `${service}-test-events` });
  try {
    const jsm = await jetstreamManager(nats);
    const stream = runtime.naming.stream(service).name;
    const { state } = await jsm.streams.info(stream);
    const envelopes: eventsV1.Envelope[] = [];
    for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq += 1) {
      const stored = await jsm.streams.getMessage(stream, { seq }).catch(() => null);
      if (stored) envelopes.push(eventsV1.Envelope.decode(stored.data));
    }
    return envelopes;
  } finally {
    await nats.close();
  }
}
