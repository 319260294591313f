import { decodePageToken, pageSize, type RpcContext } from '@parley/kit';
import type { identityV1 } from '@parley/proto';
import type { AccountRepository } from '../db/accounts';
import { toProtoAccount } from './mappers';

export function makeListAccounts(deps: { accounts: AccountRepository }) {
  return async ({
    request,
    caller,
  }: RpcContext<identityV1.ListAccountsRequest>): Promise<identityV1.ListAccountsResponse> => {
    const page = await deps.accounts.list(
      caller.tenantId,
      pageSize(request.pageSize),
      decodePageToken(request.pageToken),
    );
    return { accounts: page.items.map(toProtoAccount), nextPageToken: page.nextPageToken };
  };
}
