import type { RpcContext } from '@parley/kit';
import type { identityV1 } from '@parley/proto';
import type { AccountRepository } from '../db/accounts';
import type { TenantRepository } from '../db/tenants';
import type { IdentityProvider } from '../idp/provider';
import { toProtoAccount } from './mappers';
import { resolveAccount } from './getAccount';
import { requireTenant } from '../domain/access';

/**
 * Closes an account: its login is disabled and its sessions at the identity provider ended first, then it
 * is marked closed with identity.account.closed (from then on the gateway refuses its access tokens).
 */
export function makeCloseAccount(deps: {
  accounts: AccountRepository;
  tenants: TenantRepository;
  idp: IdentityProvider;
  now?: () => Date;
}) {
  return async ({
    request,
    caller,
    log,
  }: RpcContext<identityV1.CloseAccountRequest>): Promise<identityV1.CloseAccountResponse> => {
    const tenant = requireTenant(await deps.tenants.find(caller.tenantId), caller.tenantId);
    const account = await resolveAccount(deps.accounts, caller, request.accountId, 'accounts:write');
    if (account.status === 'closed') return { account: toProtoAccount(account) };
    if (account.idpUserId) {
      await deps.idp.updateUser(tenant.realm, account.idpUserId, { enabled: false });
      await deps.idp.endSessions(tenant.realm, account.idpUserId);
    }
    const closed = await deps.accounts.close(account, deps.now?.() ?? new Date());
    log.info({ accountId: account.id }, 'account closed');
    return { account: toProtoAccount(closed) };
  };
}
