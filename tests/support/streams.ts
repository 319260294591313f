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

/**
 * Delivers a published event again, as JetStream does after a lost ack or a consumer restart: the same
 * envelope (same event id) as a new stream message (a new `Nats-Msg-Id`, so the stream keeps it).
 */
export async function redeliver(runtime: ServiceRuntime, service: string, eventId: string): Promise<void> {
  const nats = await connectNats({ url: testInfra().natsUrl, name: `${service}-test-redeliver` });
  try {
    const jsm = await jetstreamManager(nats);
    const stream = runtime.naming.stream(service).name;
    const { state } = await jsm.streams.info(stream);
    for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq += 1) {
      const stored = await jsm.streams.getMessage(stream, { seq }).catch(() => null);
      if (!stored || eventsV1.Envelope.decode(stored.data).eventId !== eventId) continue;
      await jsm.jetstream().publish(stored.subject, stored.data, { msgID: `${eventId}-again-${seq}` });
      return;
    }
    throw new Error(`event ${eventId} is not in stream ${stream}`);
  } finally {
    await nats.close();
  }
}

/** Messages a durable consumer of a service's stream has not had acknowledged yet (pending or in flight). */
export async function pendingFor(runtime: ServiceRuntime, service: string, durable: string): Promise<number> {
  const nats = await connectNats({ url: testInfra().natsUrl, name: `${service}-test-pending` });
  try {
    const jsm = await jetstreamManager(nats);
    const info = await jsm.consumers.info(runtime.naming.stream(service).name, durable);
    return info.num_pending + info.num_ack_pending;
  } finally {
    await nats.close();
  }
}
