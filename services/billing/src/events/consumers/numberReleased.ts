import type { EventHandler } from '@parley/kit';
import { numberingV1 } from '@parley/proto';
import type { UsageRepository } from '../../db/usage';
import { whenOf } from './rating';

/** billing-on-number-released: no rent from the next period on (the month it was released in is paid). */
export function onNumberReleased(deps: { usage: UsageRepository }): EventHandler<numberingV1.NumberReleased> {
  return {
    durable: 'billing-on-number-released',
    eventType: 'numbering.number.released',
    messageType: numberingV1.NumberReleased,
    async handle(tx, { payload, envelope }) {
      const at = whenOf(payload.releasedAt, envelope);
      // Assignment and release are different event types, so they can arrive in either order: a release
      // of a number not known yet fails transiently and comes back after its assignment has been applied.
      if (!(await deps.usage.releaseNumber(tx, envelope.tenantId, payload.numberId, at)))
        throw new Error(`number ${payload.numberId} is not known to billing yet`);
    },
  };
}
