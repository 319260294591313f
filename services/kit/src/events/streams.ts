import { readFileSync } from 'node:fs';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { credsAuthenticator } from '@nats-io/nats-core';
import {
  jetstreamManager,
  AckPolicy,
  DeliverPolicy,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/nats-core';

export interface NatsOptions {
  url: string;
  name: string;
  credsFile?: string;
  /** A user and password instead of a creds file. */
  user?: string;
  password?: string;
}

export async function connectNats(options: NatsOptions): Promise<NatsConnection> {
  return connect({
    servers: options.url.split(',').map((server) => server.trim()),
    name: options.name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    authenticator: options.credsFile ? credsAuthenticator(readFileSync(options.credsFile)) : undefined,
    user: options.user,
    pass: options.password,
  });
}

/**
 * Names derived from the owning service (STYLE.md): stream `IDENTITY` holds `identity.>`. A deployment
 * prefix (dedicated tenants, tests) goes in front of both: stream `T-ACME_IDENTITY`, subjects `t-acme.identity.>`.
 */
export class Naming {
  constructor(readonly prefix?: string) {}

  subject(eventType: string): string {
    return this.prefix ? `${this.prefix}.${eventType}` : eventType;
  }

  /** Strips the prefix back off a subject, giving the event type. */
  eventType(subject: string): string {
    return this.prefix && subject.startsWith(`${this.prefix}.`)
      ? subject.slice(this.prefix.length + 1)
      : subject;
  }

  stream(owner: string): { name: string; subjects: string[] } {
    const base = owner.toUpperCase();
    return {
      name: this.prefix ? `${this.prefix.toUpperCase()}_${base}` : base,
      subjects: [this.subject(`${owner}.>`)],
    };
  }

  /** The owning service of an event type: the first token of `identity.tenant.created`. */
  static owner(eventType: string): string {
    const owner = eventType.split('.')[0];
    if (!owner) throw new Error(`event type ${eventType} has no owner`);
    return owner;
  }
}

const DUPLICATE_WINDOW_MS = 10 * 60_000;

/** How a service's own stream is kept (NATS_STREAM_* variables). */
export interface StreamSettings {
  replicas: number;
  maxAgeMs: number;
  /** -1: no size limit. */
  maxBytes: number;
}

export const defaultStreamSettings: StreamSettings = {
  replicas: 1,
  maxAgeMs: 7 * 24 * 3_600_000,
  maxBytes: -1,
};

/**
 * Creates or updates the stream of the service that owns it, and only that service calls it: the producer
 * alone decides its stream's subjects, replicas and limits. Safe to call from every replica at start-up.
 */
export async function ensureStream(
  jsm: JetStreamManager,
  naming: Naming,
  owner: string,
  settings: StreamSettings = defaultStreamSettings,
): Promise<string> {
  const { name, subjects } = naming.stream(owner);
  const wanted = {
    subjects,
    duplicate_window: nanos(DUPLICATE_WINDOW_MS),
    max_age: nanos(settings.maxAgeMs),
    max_bytes: settings.maxBytes,
    num_replicas: settings.replicas,
  };
  try {
    const info = await jsm.streams.info(name);
    const same =
      info.config.subjects?.join(',') === subjects.join(',') &&
      info.config.duplicate_window === wanted.duplicate_window &&
      info.config.max_age === wanted.max_age &&
      info.config.max_bytes === wanted.max_bytes &&
      info.config.num_replicas === wanted.num_replicas;
    if (!same) await jsm.streams.update(name, { ...info.config, ...wanted });
  } catch (error) {
    if (!isNotFound(error)) throw error;
    try {
      await jsm.streams.add({
        name,
        ...wanted,
        retention: RetentionPolicy.Limits,
        storage: StorageType.File,
      });
    } catch (addError) {
      // Another replica created it between our look and our add.
      if (!String((addError as Error).message).includes('already in use')) throw addError;
    }
  }
  return name;
}

/**
 * Waits until the stream `owner` publishes to exists, and returns its name. It is looked up, never
 * created or reconfigured: the owner alone manages its stream (with per-service NATS users, no other
 * service may create it anyway).
 */
export async function awaitStream(
  jsm: JetStreamManager,
  naming: Naming,
  owner: string,
  options: { pollMs?: number; onWait?: (stream: string) => void } = {},
): Promise<string> {
  const { name } = naming.stream(owner);
  for (let attempt = 0; ; attempt++) {
    try {
      await jsm.streams.info(name);
      return name;
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    if (attempt % 20 === 0) options.onWait?.(name);
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 500));
  }
}

export function isPermissionViolation(error: unknown): boolean {
  return /permissions violation/i.test(String((error as Error)?.message ?? ''));
}

/** The stream does not exist yet: its owning service has not started. Consumers wait for it. */
export class StreamMissingError extends Error {
  constructor(readonly stream: string) {
    super(`stream ${stream} does not exist yet (its service has not started)`);
    this.name = 'StreamMissingError';
  }
}

export interface ConsumerSettings {
  durable: string;
  eventType: string;
  /** Server-side redelivery delays after a delivery that was not acknowledged; the last one repeats. */
  backoffMs: number[];
  /** Deliveries before the server stops delivering; the consumer parks an event before that. */
  maxDeliver: number;
  maxAckPending?: number;
}

/**
 * Creates or updates a durable pull consumer filtered to one event type, on the stream of the service
 * that owns the event type. Never creates that stream: throws StreamMissingError until its owner has.
 * Changed settings (backoff, max deliver, filter, ack pending) are applied to an existing consumer.
 */
export async function ensureConsumer(
  jsm: JetStreamManager,
  naming: Naming,
  settings: ConsumerSettings,
): Promise<{ stream: string }> {
  const stream = naming.stream(Naming.owner(settings.eventType)).name;
  const backoff = settings.backoffMs.map((ms) => nanos(ms));
  const wanted = {
    filter_subject: naming.subject(settings.eventType),
    // With a backoff list the server waits backoff[n-1] for the ack of the n-th delivery; the first one
    // is the ack wait.
    ack_wait: backoff[0] ?? nanos(30_000),
    backoff,
    max_deliver: settings.maxDeliver,
    max_ack_pending: settings.maxAckPending ?? 1_000,
  };
  try {
    const info = await jsm.consumers.info(stream, settings.durable);
    const same =
      info.config.ack_wait === wanted.ack_wait &&
      info.config.filter_subject === wanted.filter_subject &&
      info.config.max_deliver === wanted.max_deliver &&
      info.config.max_ack_pending === wanted.max_ack_pending &&
      (info.config.backoff ?? []).join(',') === backoff.join(',');
    if (!same) await jsm.consumers.update(stream, settings.durable, wanted);
  } catch (error) {
    if (!isNotFound(error)) throw error;
    try {
      await jsm.consumers.add(stream, {
        durable_name: settings.durable,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        ...wanted,
      });
    } catch (addError) {
      if (isNotFound(addError)) throw new StreamMissingError(stream);
      throw addError;
    }
  }
  return { stream };
}

function isNotFound(error: unknown): boolean {
  const message = String((error as Error)?.message ?? '');
  return message.includes('not found');
}

export { jetstreamManager };
