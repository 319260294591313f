import { randomUUID } from 'node:crypto';
import { DeliverPolicy, type ConsumerMessages, type JetStreamClient } from '@nats-io/jetstream';
import { eventsV1 } from '@parley/proto';
import type { Logger } from '../logging';
import type { Naming } from './streams';

/**
 * Something every replica must hear about, rather than one of them: in-memory state such as a cache, which
 * a durable consumer (shared by the replicas, one of which gets each event) cannot keep fresh everywhere.
 */
export interface BroadcastHandler {
  /** Names the listener in logs and in the consumer's name prefix, e.g. `resolve-cache`. */
  name: string;
  /** The event types heard, within the service's own stream: one type or a `>` wildcard (`numbering.number.>`). */
  types: string;
  /** Called with each event, in stream order. Must not throw; nothing is retried. */
  handle: (envelope: eventsV1.Envelope) => void;
}

/**
 * One process's listener: an ordered consumer (ephemeral, not acknowledged, recreated by the client at the
 * right sequence after a reconnect) on the service's own stream, from the newest event on. It gives each
 * process every event once while it runs and nothing durable, so it is only for state a process can rebuild
 * (a cache also bounded by a time to live covers the moments before it starts).
 */
export class BroadcastListener {
  private messages?: ConsumerMessages;
  private done?: Promise<void>;

  constructor(
    private readonly options: {
      js: JetStreamClient;
      naming: Naming;
      service: string;
      log: Logger;
      handler: BroadcastHandler;
    },
  ) {}

  async start(): Promise<void> {
    const { js, naming, service, handler, log } = this.options;
    const consumer = await js.consumers.get(naming.stream(service).name, {
      // Unique per process: replicas sharing a name would replace each other's consumer.
      name_prefix: `${service}-${handler.name}-${randomUUID()}`,
      filter_subjects: naming.subject(handler.types),
      deliver_policy: DeliverPolicy.New,
    });
    const messages = await consumer.consume();
    this.messages = messages;
    this.done = (async () => {
      for await (const message of messages) {
        try {
          handler.handle(eventsV1.Envelope.decode(message.data));
        } catch (error) {
          log.warn({ err: error, listener: handler.name }, 'a broadcast event could not be handled');
        }
      }
    })();
  }

  async stop(): Promise<void> {
    await this.messages?.close();
    await this.done?.catch(() => undefined);
  }
}
