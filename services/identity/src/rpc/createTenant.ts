import type { RpcContext } from '@parley/kit';
import type { identityV1 } from '@parley/proto';
import { parseNewTenant, sameTenant, toProtoTenant } from '../domain/tenant';
import { tenantConflict } from '../domain/errors';
import type { TenantRepository } from '../db/tenants';

export function makeCreateTenant(deps: { tenants: TenantRepository }) {
  return async ({
    request,
    log,
  }: RpcContext<identityV1.CreateTenantRequest>): Promise<identityV1.CreateTenantResponse> => {
    const wanted = parseNewTenant(request);
    const { tenant, created } = await deps.tenants.create(wanted);
    if (!created && !sameTenant(tenant, wanted)) throw tenantConflict(wanted.id);
    if (created) log.info({ tenant: tenant.id }, 'tenant created');
    return { tenant: toProtoTenant(tenant), created };
  };
}
