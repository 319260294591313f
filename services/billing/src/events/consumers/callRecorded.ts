import { messagingV1 } from '@parley/proto';
import { rateCall } from '../../domain/rating';
import { ratingConsumer, whenOf, type RatingDeps } from './rating';

/**
 * billing-on-call-recorded: minutes by direction, rounded as the plan says. Every record is rated (an
 * unanswered call has no talk time, so its line is zero) so that the reconciliation counts one line per event.
 */
export const onCallRecorded = (deps: RatingDeps) =>
  ratingConsumer(deps, {
    durable: 'billing-on-call-recorded',
    eventType: 'messaging.call.recorded',
    messageType: messagingV1.CallRecorded,
    source: ({ payload, envelope }) => ({
      accountId: payload.accountId,
      reference: payload.callId,
      occurredAt: whenOf(payload.startedAt, envelope),
      // The parties, for the itemised invoice (empty from producers that predate the fields).
      partyFrom: payload.from || undefined,
      partyTo: payload.to || undefined,
    }),
    rate: (plan, { payload }) =>
      rateCall(plan, {
        direction: payload.direction,
        durationSeconds: payload.disposition === 'answered' ? payload.durationSeconds : 0,
        peerCountry: payload.peerCountry,
      }),
  });
