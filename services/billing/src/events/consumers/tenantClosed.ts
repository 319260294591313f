import type { EventHandler } from '@parley/kit';
import { identityV1 } from '@parley/proto';
import { closeProfile } from '../../db/profiles';
import { whenOf } from './rating';

/**
 * billing-on-tenant-closed: the tenant left; the legal retention of its financial records runs from its
 * closing (its own billing profile, account '').
 */
export function onTenantClosed(): EventHandler<identityV1.TenantClosed> {
  return {
    durable: 'billing-on-tenant-closed',
    eventType: 'identity.tenant.closed',
    messageType: identityV1.TenantClosed,
    async handle(tx, { payload, envelope }, log) {
      const set = await closeProfile(tx, envelope.tenantId, '', whenOf(payload.closedAt, envelope));
      log.info({ tenant: envelope.tenantId, set }, 'tenant closed');
    },
  };
}
