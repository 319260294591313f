import { alreadyExists, type RpcContext } from '@parley/kit';
import type { identityV1 } from '@parley/proto';
import { applyProfile, checkPassword, parseRoles } from '../domain/account';
import { ensureGrantable, requireActive } from '../domain/access';
import { EmailTaken, type AccountRepository } from '../db/accounts';
import type { TenantRepository } from '../db/tenants';
import type { IdentityProvider } from '../idp/provider';
import { profileInput, toProtoAccount } from './mappers';
import { roleScopes } from '@parley/kit';

const emailTaken = () =>
  alreadyExists('ACCOUNT_EMAIL_TAKEN', 'an account with this email already exists in this tenant');

export function makeCreateAccount(deps: {
  accounts: AccountRepository;
  tenants: TenantRepository;
  idp: IdentityProvider;
  now?: () => Date;
}) {
  return async ({
    request,
    caller,
    log,
  }: RpcContext<identityV1.CreateAccountRequest>): Promise<identityV1.CreateAccountResponse> => {
    const tenant = requireActive(await deps.tenants.find(caller.tenantId), caller.tenantId);
    const { profile } = applyProfile(undefined, profileInput(request.profile), {
      minimumAge: tenant.minimumAge,
      today: deps.now?.() ?? new Date(),
    });
    checkPassword(request.password);
    const roles = parseRoles(request.roles.length > 0 ? request.roles : ['member']);
    // Giving an account a role is granting its scopes: only as far as the caller's own reach.
    ensureGrantable(
      caller,
      roles.flatMap((role) => roleScopes[role] ?? []),
    );
    if (await deps.accounts.findByEmail(tenant.id, profile.email)) throw emailTaken();
    const idpUserId = await deps.idp.ensureUser(tenant.realm, tenant.id, {
      email: profile.email,
      fullName: profile.fullName,
      password: request.password || undefined,
      roles,
    });
    try {
      const account = await deps.accounts.create(tenant.id, profile, {
        roles,
        idpUserId,
        signupIp: request.signupIp.slice(0, 100),
        signupUserAgent: request.signupUserAgent.slice(0, 500),
      });
      log.info({ accountId: account.id }, 'account created');
      return { account: toProtoAccount(account) };
    } catch (error) {
      if (error instanceof EmailTaken) throw emailTaken();
      throw error;
    }
  };
}
