import { Naming } from './streams';

/** What a service does on NATS, as `services.json` declares it. */
export interface NatsRole {
  service: string;
  /** Owns its stream and publishes `<service>.>` through its outbox. */
  publishesEvents: boolean;
  /** Sends receipts to privacy's stream and consumes privacy's task events. */
  privacyParticipant: boolean;
  /** Other services whose streams it consumes. */
  consumes: string[];
  /** NATS_PREFIX of the deployment (dedicated tenants), if any. */
  prefix?: string;
}

export interface NatsPermissions {
  publish: string[];
  subscribe: string[];
}

/** The one subject outside its own that a service may publish on: a participant's receipt to privacy. */
export const RECEIPT_EVENT_TYPE = 'privacy.receipt.submitted';

/**
 * The least a service needs on NATS, for a server config (`npm start`) or an `nsc add user` (production):
 * publish only on its own subjects (plus the receipt subject for a privacy participant), manage only its
 * own stream, create and read consumers only on the streams it consumes, ack only what it consumes, and
 * take replies on `_INBOX.>`. Everything else, another service's subjects first of all, is refused.
 */
export function natsPermissions(role: NatsRole): NatsPermissions {
  const naming = new Naming(role.prefix);
  const own = naming.stream(role.service).name;
  const consumed = new Set(role.consumes);
  if (role.privacyParticipant) consumed.add('privacy');
  const publish = [...naming.stream(role.service).subjects, '$JS.API.INFO'];
  if (role.publishesEvents || role.privacyParticipant) {
    // The outbox relay ensures the service's own stream (a participant's relay too: it always runs one).
    // Also deletes its own ordered consumers (broadcast listeners), which the client replaces after a gap.
    publish.push(
      `$JS.API.STREAM.CREATE.${own}`,
      `$JS.API.STREAM.UPDATE.${own}`,
      `$JS.API.CONSUMER.DELETE.${own}.>`,
    );
    consumed.add(role.service);
  }
  if (role.privacyParticipant && role.service !== 'privacy') publish.push(naming.subject(RECEIPT_EVENT_TYPE));
  for (const owner of [...consumed].sort()) {
    const stream = naming.stream(owner).name;
    publish.push(
      `$JS.API.STREAM.INFO.${stream}`,
      `$JS.API.CONSUMER.CREATE.${stream}`,
      `$JS.API.CONSUMER.CREATE.${stream}.>`,
      `$JS.API.CONSUMER.DURABLE.CREATE.${stream}.>`,
      `$JS.API.CONSUMER.INFO.${stream}.>`,
      `$JS.API.CONSUMER.MSG.NEXT.${stream}.>`,
      `$JS.ACK.${stream}.>`,
    );
  }
  return { publish: [...new Set(publish)], subscribe: ['_INBOX.>'] };
}
