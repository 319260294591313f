import { failedPrecondition, type RpcContext } from '@parley/kit';
import type { identityV1 } from '@parley/proto';
import { PLATFORM_TENANT, type TenantRepository } from '../db/tenants';
import { tenantNotFound } from '../domain/errors';
import { toProtoTenant } from '../domain/tenant';

/**
 * A platform operator closes a tenant (the customer left): from then on its API keys, Twilio auth tokens
 * and users' access tokens are refused (TENANT_INACTIVE), and identity.tenant.closed tells the services
 * whose retention clocks run from the closing (billing's financial records). Its data stays until those
 * clocks run out; closing again returns the first closing.
 */
export function makeCloseTenant(deps: { tenants: TenantRepository; now?: () => Date }) {
  return async ({
    request,
    log,
  }: RpcContext<identityV1.CloseTenantRequest>): Promise<identityV1.CloseTenantResponse> => {
    if (request.id === PLATFORM_TENANT)
      throw failedPrecondition('TENANT_NOT_CLOSABLE', 'the platform tenant cannot be closed');
    const tenant = await deps.tenants.close(request.id, deps.now?.() ?? new Date());
    if (!tenant) throw tenantNotFound(request.id);
    log.info({ tenant: tenant.id }, 'tenant closed');
    return { tenant: toProtoTenant(tenant), closedAt: tenant.closedAt ?? undefined };
  };
}
