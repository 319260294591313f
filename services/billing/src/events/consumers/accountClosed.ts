import type { EventHandler } from '@parley/kit';
import { identityV1 } from '@parley/proto';
import { closeProfile } from '../../db/profiles';
import { whenOf } from './rating';

/**
 * billing-on-account-closed: one of the tenant's accounts left; the legal retention of its financial
 * records (sub-account invoices and usage) runs from its closing.
 */
export function onAccountClosed(): EventHandler<identityV1.AccountClosed> {
  return {
    durable: 'billing-on-account-closed',
    eventType: 'identity.account.closed',
    messageType: identityV1.AccountClosed,
    async handle(tx, { payload, envelope }, log) {
      if (payload.accountId === '') throw new Error('identity.account.closed names no account');
      const set = await closeProfile(
        tx,
        envelope.tenantId,
        payload.accountId,
        whenOf(payload.closedAt, envelope),
      );
      log.info({ tenant: envelope.tenantId, accountId: payload.accountId, set }, 'account closed');
    },
  };
}
