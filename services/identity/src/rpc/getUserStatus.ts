import { eq } from 'drizzle-orm';
import {
  invalidArgument,
  isErased,
  isTenantId,
  matchingHashes,
  withTenant,
  type Database,
  type RpcContext,
  type SubjectHashKeys,
} from '@parley/kit';
import { identityV1 } from '@parley/proto';
import { accounts, tenants } from '../db/schema';

/**
 * Whether a user's access tokens may still be honoured. Identity is the one place that knows an account
 * was closed (its row says so) or erased (the row is gone, the tombstone recorded in the same
 * transaction remembers the user id's hash), or that the user's tenant was closed (or suspended), so
 * every gateway replica asks here rather than keep a list of its own. A user with no account (an operator who exists only in the identity provider) is active.
 */
export function makeGetUserStatus(deps: { db: Database; subjectHashKeys: SubjectHashKeys }) {
  return async ({
    request,
  }: RpcContext<identityV1.GetUserStatusRequest>): Promise<identityV1.GetUserStatusResponse> => {
    if (!isTenantId(request.tenantId) || request.userId === '' || request.userId.length > 255) {
      throw invalidArgument('USER_INVALID', 'name the user by tenant id and identity-provider user id', [
        { field: 'tenant_id', description: 'a tenant id' },
        { field: 'user_id', description: 'the user id a token names, at most 255 characters' },
      ]);
    }
    const { tenantId, userId } = request;
    const status = await withTenant(deps.db, tenantId, async (tx) => {
      const [tenant] = await tx
        .select({ status: tenants.status })
        .from(tenants)
        .where(eq(tenants.id, tenantId));
      if (tenant?.status === 'closed' || tenant?.status === 'suspended') return 'tenant-inactive';
      const [account] = await tx
        .select({ status: accounts.status })
        .from(accounts)
        .where(eq(accounts.idpUserId, userId));
      if (account) return account.status === 'closed' ? 'closed' : 'active';
      const subject = { accountIds: [], emails: [], phones: [], userIds: [userId] };
      return (await isErased(tx, tenantId, matchingHashes(deps.subjectHashKeys, tenantId, subject)))
        ? 'erased'
        : 'active';
    });
    return {
      status:
        status === 'closed'
          ? identityV1.UserStatus.USER_STATUS_CLOSED
          : status === 'erased'
            ? identityV1.UserStatus.USER_STATUS_ERASED
            : status === 'tenant-inactive'
              ? identityV1.UserStatus.USER_STATUS_TENANT_INACTIVE
              : identityV1.UserStatus.USER_STATUS_ACTIVE,
    };
  };
}
