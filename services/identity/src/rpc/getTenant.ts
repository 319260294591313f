import { grants, type RpcContext } from '@parley/kit';
import type { identityV1 } from '@parley/proto';
import { toProtoTenant } from '../domain/tenant';
import { tenantNotFound } from '../domain/errors';
import type { TenantRepository } from '../db/tenants';

export function makeGetTenant(deps: { tenants: TenantRepository }) {
  return async ({
    request,
    caller,
  }: RpcContext<identityV1.GetTenantRequest>): Promise<identityV1.GetTenantResponse> => {
    const id = request.id || caller.tenantId;
    // A tenant's caller sees only its own tenant; another tenant's id answers exactly like a missing one.
    if (id !== caller.tenantId && !grants(caller.scopes, 'platform:admin')) throw tenantNotFound(id);
    const tenant = await deps.tenants.find(id);
    if (!tenant) throw tenantNotFound(id);
    return { tenant: toProtoTenant(tenant) };
  };
}
