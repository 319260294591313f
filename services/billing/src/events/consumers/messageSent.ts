import { messagingV1 } from '@parley/proto';
import { rateOutboundMessage } from '../../domain/rating';
import { ratingConsumer, whenOf, type RatingDeps } from './rating';

/** billing-on-message-sent: an outbound SMS per segment, an MMS per message, by destination country. */
export const onMessageSent = (deps: RatingDeps) =>
  ratingConsumer(deps, {
    durable: 'billing-on-message-sent',
    eventType: 'messaging.message.sent',
    messageType: messagingV1.MessageSent,
    source: ({ payload, envelope }) => ({
      accountId: payload.accountId,
      reference: payload.messageId,
      occurredAt: whenOf(payload.sentAt, envelope),
      // The parties, for the itemised invoice (empty from producers that predate the fields).
      partyFrom: payload.from || undefined,
      partyTo: payload.to || undefined,
    }),
    rate: (plan, { payload }) => rateOutboundMessage(plan, payload),
  });
