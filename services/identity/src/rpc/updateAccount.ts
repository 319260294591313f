import {
  alreadyExists,
  failedPrecondition,
  isRestricted,
  matchingHashes,
  withTenant,
  type Database,
  type RpcContext,
  type SubjectHashKeys,
} from '@parley/kit';

import type { identityV1 } from '@parley/proto';
import { applyProfile } from '../domain/account';
import { requireActive } from '../domain/access';
import { EmailTaken, profileOf, type AccountRepository } from '../db/accounts';
import type { TenantRepository } from '../db/tenants';
import type { IdentityProvider } from '../idp/provider';
import { profileInput, toProtoAccount } from './mappers';
import { resolveAccount } from './getAccount';

export function makeUpdateAccount(deps: {
  accounts: AccountRepository;
  tenants: TenantRepository;
  idp: IdentityProvider;
  /** Restriction checks: the database and the subject hash keys (SUBJECT_HASH_KEY and previous ones). */
  restrictions: { db: Database; secret: SubjectHashKeys };
  now?: () => Date;
}) {
  return async ({
    request,
    caller,
  }: RpcContext<identityV1.UpdateAccountRequest>): Promise<identityV1.UpdateAccountResponse> => {
    const tenant = requireActive(await deps.tenants.find(caller.tenantId), caller.tenantId);
    const account = await resolveAccount(deps.accounts, caller, request.accountId, 'accounts:write');
    if (account.status === 'closed')
      throw failedPrecondition('ACCOUNT_CLOSED', 'a closed account cannot be changed');
    // A holder who restricted processing gets their data stored, not used: corrections go through a
    // rectification request instead.
    const hashes = matchingHashes(deps.restrictions.secret, tenant.id, {
      accountIds: [account.id],
      emails: [account.email.toLowerCase()],
      phones: account.phone ? [account.phone] : [],
      userIds: account.idpUserId ? [account.idpUserId] : [],
    });
    if (await withTenant(deps.restrictions.db, tenant.id, (tx) => isRestricted(tx, tenant.id, hashes))) {
      throw failedPrecondition(
        'PROCESSING_RESTRICTED',
        "processing of this account is restricted at the holder's request; submit a rectification request to correct it",
      );
    }

    const { profile, changed } = applyProfile(profileOf(account), profileInput(request.patch), {
      minimumAge: tenant.minimumAge,
      today: deps.now?.() ?? new Date(),
    });
    if (changed.length === 0) return { account: toProtoAccount(account) };
    if (changed.includes('email')) {
      const holder = await deps.accounts.findByEmail(tenant.id, profile.email);
      if (holder && holder.id !== account.id)
        throw alreadyExists('ACCOUNT_EMAIL_TAKEN', 'another account uses this email');
    }
    if (account.idpUserId && (changed.includes('email') || changed.includes('fullName'))) {
      await deps.idp.updateUser(tenant.realm, account.idpUserId, {
        email: changed.includes('email') ? profile.email : undefined,
        fullName: changed.includes('fullName') ? profile.fullName : undefined,
      });
    }
    try {
      return { account: toProtoAccount(await deps.accounts.updateProfile(account, profile, changed)) };
    } catch (error) {
      if (error instanceof EmailTaken)
        throw alreadyExists('ACCOUNT_EMAIL_TAKEN', 'another account uses this email');
      throw error;
    }
  };
}
