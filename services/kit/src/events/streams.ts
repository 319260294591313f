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

/** Creates or updates a service's stream; safe to call from every replica and every consumer at start-up. */
export async function ensureStream(jsm: JetStreamManager, naming: Naming, owner: string): Promise<string> {
  const { name, subjects } = naming.stream(owner);
  const wanted = {
    subjects,
    duplicate_window: nanos(DUPLICATE_WINDOW_MS),
  };
  try {
    const info = await jsm.streams.info(name);
    const same =
      info.config.subjects?.join(',') === subjects.join(',') &&
      info.config.duplicate_window === wanted.duplicate_window;
    if (!same) await jsm.streams.update(name, { ...info.config, ...wanted });
  } catch (error) {
    if (!isNotFound(error)) throw error;
    try {
      await jsm.streams.add({
        name,
        ...wanted,
        retention: RetentionPolicy.Limits,
        storage: StorageType.File,
        max_age: nanos(7 * 24 * 3_600_000),
      });
    } catch (addError) {
      // Another replica created it between our look and our add.
      if (!String((addError as Error).message).includes('already in use')) throw addError;
    }
  }
  return name;
}

/**
 * The stream `owner` publishes to, for a consumer or a participant sending receipts. It is looked up, not
 * reconfigured: the owner alone manages its stream. When it does not exist yet it is created if this NATS
 * user may (an unauthenticated development server); a service whose user may not (each service has its
 * own user, services.json) waits until the owner has started and created it.
 */
export async function awaitStream(
  jsm: JetStreamManager,
  naming: Naming,
  owner: string,
  options: { pollMs?: number; onWait?: (stream: string) => void } = {},
): Promise<string> {
  const { name } = naming.stream(owner);
  let mayCreate = true;
  for (let attempt = 0; ; attempt++) {
    try {
      await jsm.streams.info(name);
      return name;
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    if (mayCreate) {
      try {
        return await ensureStream(jsm, naming, owner);
      } catch (error) {
        if (!isPermissionViolation(error)) throw error;
        mayCreate = false;
      }
    }
    if (attempt % 20 === 0) options.onWait?.(name);
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 500));
  }
}

export function isPermissionViolation(error: unknown): boolean {
  return /permissions violation/i.test(String((error as Error)?.message ?? ''));
}

export interface ConsumerSettings {
  durable: string;
  eventType: string;
  ackWaitMs: number;
  /** Called (every ten seconds or so) while the producer's stream does not exist yet. */
  onWaitForStream?: (stream: string) => void;
}

/** Creates or updates a durable pull consumer filtered to one event type, on its producer's stream. */
export async function ensureConsumer(
  jsm: JetStreamManager,
  naming: Naming,
  settings: ConsumerSettings,
): Promise<{ stream: string }> {
  const stream = await awaitStream(jsm, naming, Naming.owner(settings.eventType), {
    onWait: settings.onWaitForStream,
  });
  const config = {
    durable_name: settings.durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    filter_subject: naming.subject(settings.eventType),
    ack_wait: nanos(settings.ackWaitMs),
    max_ack_pending: 1_000,
  };
  try {
    const info = await jsm.consumers.info(stream, settings.durable);
    if (info.config.ack_wait !== config.ack_wait || info.config.filter_subject !== config.filter_subject) {
      await jsm.consumers.update(stream, settings.durable, {
        ack_wait: config.ack_wait,
        filter_subject: config.filter_subject,
      });
    }
  } catch (error) {
    if (!isNotFound(error)) throw error;
    await jsm.consumers.add(stream, config);
  }
  return { stream };
}

function isNotFound(error: unknown): boolean {
  const message = String((error as Error)?.message ?? '');
  return message.includes('not found');
}

export { jetstreamManager };
