import { sql } from 'drizzle-orm';
import { metrics } from '@opentelemetry/api';
import type { JetStreamClient, JetStreamManager, JsMsg, ConsumerMessages } from '@nats-io/jetstream';
import { eventsV1 } from '@parley/proto';
import type { Database, Transaction } from '../db/database';
import { withTenant } from '../db/database';
import type { Logger } from '../logging';
import { runWithContext } from '../context';
import { withExtractedTraceContext } from '../telemetry';
import type { MessageType } from './outbox';
import { ensureConsumer, type Naming } from './streams';

export interface ReceivedEvent<T> {
  envelope: eventsV1.Envelope;
  payload: T;
}

export interface EventHandler<T> {
  /** Durable consumer name, `<service>-on-<entity>-<verb>` (e.g. `billing-on-tenant-created`). */
  durable: string;
  /** The event type consumed, e.g. `identity.tenant.created`. */
  eventType: string;
  messageType: MessageType<T>;
  /**
   * Applies the event. Runs inside the transaction that also records the event id in the inbox, with the
   * event's tenant set for row-level security; throwing rolls both back and the event is redelivered.
   */
  handle(tx: Transaction, event: ReceivedEvent<T>, log: Logger): Promise<void>;
  /** Deliveries before the event is parked in `kit_dead_letters`. Default 10. */
  maxDeliveries?: number;
  /** How long JetStream waits for an ack before redelivering. Default 30 s. */
  ackWaitMs?: number;
}

const meter = metrics.getMeter('parley-kit');
const handledCounter = meter.createCounter('events_consumed_total', {
  description: 'Events consumed, by consumer and outcome (applied, duplicate, retried, dead_lettered)',
});

export interface InboxConsumerOptions<T> {
  db: Database;
  js: JetStreamClient;
  jsm: JetStreamManager;
  naming: Naming;
  log: Logger;
  handler: EventHandler<T>;
}

/**
 * A durable pull consumer whose effect and "handled" mark commit in one transaction. Redelivery (after a
 * crash, a lost ack, or the relay publishing twice) finds the event id already in the inbox and only acks.
 */
export class InboxConsumer<T> {
  private messages?: ConsumerMessages;
  private loop?: Promise<void>;
  private pending = 0;
  private readonly log: Logger;

  constructor(private readonly options: InboxConsumerOptions<T>) {
    this.log = options.log.child({ consumer: options.handler.durable });
    meter
      .createObservableGauge('consumer_pending_messages', {
        description: 'Messages waiting for a consumer (consumer lag)',
      })
      .addCallback((result) => result.observe(this.pending, { consumer: options.handler.durable }));
  }

  async start(): Promise<void> {
    const { handler, jsm, js, naming } = this.options;
    const { stream } = await ensureConsumer(jsm, naming, {
      durable: handler.durable,
      eventType: handler.eventType,
      ackWaitMs: handler.ackWaitMs ?? 30_000,
      onWaitForStream: (stream) => this.log.info({ stream }, 'waiting for the producer to create its stream'),
    });
    const consumer = await js.consumers.get(stream, handler.durable);
    this.messages = await consumer.consume({ max_messages: 64 });
    this.loop = this.run(this.messages);
  }

  /** Stops pulling, lets the message in hand finish, and returns. Unacked messages are redelivered later. */
  async stop(): Promise<void> {
    await this.messages?.close();
    await this.loop;
  }

  private async run(messages: ConsumerMessages): Promise<void> {
    for await (const message of messages) {
      this.pending = message.info.pending;
      await this.process(message);
    }
  }

  private async process(message: JsMsg): Promise<void> {
    const { handler } = this.options;
    let envelope: eventsV1.Envelope;
    let payload: T;
    try {
      envelope = eventsV1.Envelope.decode(message.data);
      payload = handler.messageType.decode(envelope.payload);
    } catch (error) {
      await this.deadLetter(message, undefined, error);
      return;
    }
    const carrier: Record<string, string> = {};
    if (envelope.traceparent) carrier.traceparent = envelope.traceparent;
    if (envelope.tracestate) carrier.tracestate = envelope.tracestate;
    await withExtractedTraceContext(carrier, () =>
      runWithContext({ tenantId: envelope.tenantId || undefined }, async () => {
        try {
          const applied = await this.apply(envelope, payload);
          handledCounter.add(1, { consumer: handler.durable, outcome: applied ? 'applied' : 'duplicate' });
          message.ack();
        } catch (error) {
          const deliveries = message.info.deliveryCount;
          if (deliveries >= (handler.maxDeliveries ?? 10)) {
            await this.deadLetter(message, envelope, error);
            return;
          }
          handledCounter.add(1, { consumer: handler.durable, outcome: 'retried' });
          this.log.warn(
            { err: error, eventId: envelope.eventId, deliveries },
            'event handler failed; will retry',
          );
          message.nak(Math.min(60_000, 250 * 2 ** deliveries));
        }
      }),
    );
  }

  private async apply(envelope: eventsV1.Envelope, payload: T): Promise<boolean> {
    const { db, handler } = this.options;
    const work = async (tx: Transaction) => {
      const inserted = await tx.execute(
        sql`insert into kit_inbox (consumer, event_id) values (${handler.durable}, ${envelope.eventId}) on conflict do nothing`,
      );
      if ((inserted.rowCount ?? 0) === 0) return false;
      await handler.handle(tx, { envelope, payload }, this.log);
      return true;
    };
    return envelope.tenantId ? withTenant(db, envelope.tenantId, work) : db.transaction(work);
  }

  private async deadLetter(
    message: JsMsg,
    envelope: eventsV1.Envelope | undefined,
    error: unknown,
  ): Promise<void> {
    const { db, handler } = this.options;
    const eventId = envelope?.eventId ?? message.headers?.get('Nats-Msg-Id') ?? `seq-${message.seq}`;
    this.log.error(
      { err: error, eventId, deliveries: message.info.deliveryCount },
      'event parked in dead letters after repeated failures',
    );
    await db.execute(
      sql`insert into kit_dead_letters (consumer, event_id, event_type, tenant_id, envelope, error, deliveries)
          values (${handler.durable}, ${eventId}, ${envelope?.type ?? message.subject}, ${envelope?.tenantId ?? ''},
                  ${Buffer.from(message.data)}, ${String((error as Error)?.message ?? error).slice(0, 1000)}, ${message.info.deliveryCount})
          on conflict (consumer, event_id) do update set error = excluded.error, deliveries = excluded.deliveries, failed_at = now()`,
    );
    handledCounter.add(1, { consumer: handler.durable, outcome: 'dead_lettered' });
    message.term('handler failed repeatedly');
  }
}
