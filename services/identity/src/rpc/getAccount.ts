import { grants, notFound, permissionDenied, type Caller, type RpcContext } from '@parley/kit';
import type { identityV1 } from '@parley/proto';
import { userOf } from '../domain/access';
import type { Account, AccountRepository } from '../db/accounts';
import { toProtoAccount } from './mappers';

export const accountNotFound = (id: string) => notFound('ACCOUNT_NOT_FOUND', `account ${id} does not exist`);

/**
 * Resolves "me" to the calling user's own account; any other id needs `needed` (a member may see and
 * change only their own account) and is looked up within the caller's tenant only.
 */
export async function resolveAccount(
  accounts: AccountRepository,
  caller: Caller,
  id: string,
  needed: 'accounts:read' | 'accounts:write',
): Promise<Account> {
  if (id !== 'me' && !grants(caller.scopes, needed)) {
    throw permissionDenied('SCOPE_MISSING', `reading or changing other accounts needs the ${needed} scope`);
  }
  const account =
    id === 'me'
      ? await accounts.findByIdpUser(caller.tenantId, userOf(caller))
      : await accounts.find(caller.tenantId, id);
  if (!account) throw accountNotFound(id);
  return account;
}

export function makeGetAccount(deps: { accounts: AccountRepository }) {
  return async ({
    request,
    caller,
  }: RpcContext<identityV1.GetAccountRequest>): Promise<identityV1.GetAccountResponse> => ({
    account: toProtoAccount(await resolveAccount(deps.accounts, caller, request.accountId, 'accounts:read')),
  });
}
