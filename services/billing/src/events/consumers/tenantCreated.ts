import type { EventHandler } from '@parley/kit';
import { identityV1 } from '@parley/proto';
import type { AccountRepository } from '../../db/accounts';

/** billing-on-tenant-created: every new tenant gets an account (BILLING_NEW_TENANT_MODE) with a zero balance. */
export function onTenantCreated(deps: {
  accounts: AccountRepository;
  currency: string;
  billingMode: 'prepaid' | 'postpaid';
}): EventHandler<identityV1.TenantCreated> {
  return {
    durable: 'billing-on-tenant-created',
    eventType: 'identity.tenant.created',
    messageType: identityV1.TenantCreated,
    async handle(tx, event, log) {
      await deps.accounts.open(tx, event.envelope.tenantId, deps.currency, deps.billingMode);
      log.info({ tenant: event.envelope.tenantId }, 'billing account opened');
    },
  };
}
