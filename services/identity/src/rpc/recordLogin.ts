import type { RpcContext } from '@parley/kit';
import type { identityV1 } from '@parley/proto';
import { userOf } from '../domain/access';
import type { AccountRepository } from '../db/accounts';

/** Stores the latest login's IP and user agent, reported by the gateway for the user it authenticated. */
export function makeRecordLogin(deps: { accounts: AccountRepository; now?: () => Date }) {
  return async ({
    request,
    caller,
  }: RpcContext<identityV1.RecordLoginRequest>): Promise<identityV1.RecordLoginResponse> => {
    await deps.accounts.recordLogin(caller.tenantId, userOf(caller), {
      ip: request.ip.slice(0, 100),
      userAgent: request.userAgent,
      at: request.at ?? deps.now?.() ?? new Date(),
    });
    return {};
  };
}
