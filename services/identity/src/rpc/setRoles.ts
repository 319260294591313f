import { failedPrecondition, roleScopes, type RpcContext } from '@parley/kit';
import type { identityV1 } from '@parley/proto';
import { parseRoles } from '../domain/account';
import { ensureGrantable, requireActive } from '../domain/access';
import type { AccountRepository } from '../db/accounts';
import type { TenantRepository } from '../db/tenants';
import type { IdentityProvider } from '../idp/provider';
import { toProtoAccount } from './mappers';
import { resolveAccount } from './getAccount';

export function makeSetRoles(deps: {
  accounts: AccountRepository;
  tenants: TenantRepository;
  idp: IdentityProvider;
}) {
  return async ({
    request,
    caller,
    log,
  }: RpcContext<identityV1.SetRolesRequest>): Promise<identityV1.SetRolesResponse> => {
    const tenant = requireActive(await deps.tenants.find(caller.tenantId), caller.tenantId);
    const roles = parseRoles(request.roles);
    ensureGrantable(
      caller,
      roles.flatMap((role) => roleScopes[role] ?? []),
    );
    const account = await resolveAccount(deps.accounts, caller, request.accountId, 'accounts:write');
    if (account.status === 'closed')
      throw failedPrecondition('ACCOUNT_CLOSED', 'a closed account has no roles to change');
    if (account.idpUserId) await deps.idp.setRoles(tenant.realm, account.idpUserId, roles);
    const changed = await deps.accounts.setRoles(account, roles);
    log.info({ accountId: account.id, roles }, 'roles set');
    return { account: toProtoAccount(changed) };
  };
}
