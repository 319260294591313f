import { invalidArgument } from '@parley/kit';

/** An operator's request names the tenant; checked before it reaches SQL. */
export function checkTenantId(tenantId: string): string {
  if (!/^[a-z0-9][a-z0-9-]{1,62}$/.test(tenantId)) {
    throw invalidArgument('TENANT_ID_INVALID', 'tenantId is not a tenant id', [
      { field: 'tenantId', description: 'a tenant id' },
    ]);
  }
  return tenantId;
}
