import { messagingV1 } from '@parley/proto';
import { rateInboundMessage } from '../../domain/rating';
import { ratingConsumer, whenOf, type RatingDeps } from './rating';

/** billing-on-message-received: an inbound message, per message. */
export const onMessageReceived = (deps: RatingDeps) =>
  ratingConsumer(deps, {
    durable: 'billing-on-message-received',
    eventType: 'messaging.message.received',
    messageType: messagingV1.MessageReceived,
    source: ({ payload, envelope }) => ({
      accountId: payload.accountId,
      reference: payload.messageId,
      occurredAt: whenOf(payload.receivedAt, envelope),
      // The parties, for the itemised invoice (empty from producers that predate the fields).
      partyFrom: payload.from || undefined,
      partyTo: payload.to || undefined,
    }),
    rate: (plan, { payload }) => rateInboundMessage(plan, payload),
  });
