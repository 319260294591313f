import { grants, permissionDenied, failedPrecondition, type Caller, type Scope } from '@parley/kit';
import { tenantNotFound } from './errors';
import type { Tenant } from '../db/tenants';

/** A caller may hand out only scopes it holds itself; `*` only when it holds `*`. */
export function ensureGrantable(caller: Caller, requested: string[]): void {
  const beyond = requested.filter((scope) =>
    scope === '*' ? !caller.scopes.includes('*') : !grants(caller.scopes, scope as Scope),
  );
  if (beyond.length > 0) {
    throw permissionDenied(
      'SCOPE_ESCALATION',
      `you cannot grant scopes you do not hold: ${beyond.join(', ')}`,
    );
  }
}

/** The tenant, when it is active; otherwise the reason it cannot be used. */
/** The tenant, or NOT_FOUND. */
export function requireTenant(tenant: Tenant | undefined, id: string): Tenant {
  if (!tenant) throw tenantNotFound(id);
  return tenant;
}

export function requireActive(found: Tenant | undefined, id: string): Tenant {
  const tenant = requireTenant(found, id);
  if (tenant.status === 'provisioning') {
    throw failedPrecondition(
      'TENANT_PROVISIONING',
      `tenant ${id} is still being provisioned; repeat CreateTenant to finish`,
    );
  }
  if (tenant.status !== 'active')
    throw permissionDenied('TENANT_INACTIVE', `tenant ${id} is ${tenant.status}`);
  return tenant;
}

/** The identity-provider user id behind a `user:<id>` principal (an access token's subject). */
export function userOf(caller: Caller): string {
  if (!caller.principal.startsWith('user:')) {
    throw permissionDenied(
      'NOT_A_USER',
      'only a logged-in user has an own account; API keys and clients do not',
    );
  }
  return caller.principal.slice('user:'.length);
}
