import type { Backends } from '../../backends';
import type { GlobalPrivacyControl } from '../../globalPrivacyControl';
import { route } from '../route';
import type { ProblemCode } from '../problemCodes';
import { z } from '../zod';
import {
  accountJson,
  accountSchema,
  idParams,
  nextPage,
  pageQuery,
  profileFields,
  profileMessage,
  roleEnum,
} from '../schemas';

const signUpBody = z
  .object({
    ...profileFields,
    fullName: z.string().max(200),
    email: z.string().max(254),
    password: z
      .string()
      .max(256)
      .optional()
      .openapi({ description: 'Initial login password, 12+ characters' }),
    roles: z.array(roleEnum).optional().openapi({ description: 'Default ["member"]' }),
  })
  .strict()
  .openapi('CreateAccountRequest');

/** What changing a profile can answer, besides what every route with a body can. */
const profileChangeProblems: ProblemCode[] = [
  'ACCOUNT_NOT_FOUND',
  'ACCOUNT_INVALID',
  'UNDER_MINIMUM_AGE',
  'ACCOUNT_EMAIL_TAKEN',
  'ACCOUNT_CLOSED',
  'IDENTITY_PROVIDER_UNAVAILABLE',
];

const patchBody = z.object(profileFields).strict().openapi('UpdateAccountRequest');

export function accountRoutes(backends: Backends, globalPrivacyControl?: GlobalPrivacyControl) {
  const { identity } = backends;
  const page = (accounts: Parameters<typeof accountJson>[0][], token: string) => ({
    accounts: accounts.map(accountJson),
    nextPageToken: token,
  });
  return [
    route({
      method: 'post',
      path: '/v1/accounts',
      operationId: 'createAccount',
      problems: [
        'ACCOUNT_INVALID',
        'PASSWORD_INVALID',
        'UNDER_MINIMUM_AGE',
        'ROLES_INVALID',
        'SCOPE_ESCALATION',
        'ACCOUNT_EMAIL_TAKEN',
        'TENANT_PROVISIONING',
        'IDENTITY_PROVIDER_UNAVAILABLE',
      ],
      summary: "Sign up an end user of the caller's tenant",
      description:
        "Validates every field (E.164 numbers, email, IANA time zone, URL, ISO country) and refuses holders younger than the tenant's minimum age. The request's IP address and user agent are recorded as the sign-up's. A request carrying the Global Privacy Control signal (`Sec-GPC: 1`) records an opt-out of sale/share for the new account in the consent ledger.",
      tags: ['Accounts'],
      scope: 'accounts:write',
      body: signUpBody,
      response: { status: 201, description: 'Created', schema: accountSchema },
      handler: async ({ caller, body, request }) => {
        const { password, roles, ...profile } = body;
        const { account } = await backends.as(caller, identity, identity.createAccount, {
          profile: profileMessage(profile),
          password: password ?? '',
          roles: roles ?? [],
          signupIp: request.ip ?? '',
          signupUserAgent: request.get('user-agent') ?? '',
        });
        if (account) globalPrivacyControl?.signedUp(caller.tenantId, account.id, request);
        return accountJson(account);
      },
    }),
    route({
      method: 'get',
      path: '/v1/accounts',
      operationId: 'listAccounts',
      problems: ['PAGE_TOKEN_INVALID', 'PAGE_SIZE_INVALID'],
      summary: "The tenant's accounts, newest first",
      tags: ['Accounts'],
      scope: 'accounts:read',
      query: pageQuery,
      response: {
        status: 200,
        description: 'A page of accounts',
        schema: z
          .object({ accounts: z.array(accountSchema), nextPageToken: nextPage })
          .openapi('AccountPage'),
      },
      handler: async ({ caller, query }) => {
        const result = await backends.as(caller, identity, identity.listAccounts, {
          pageSize: query.pageSize ?? 0,
          pageToken: query.pageToken ?? '',
        });
        return page(result.accounts, result.nextPageToken);
      },
    }),
    route({
      method: 'get',
      path: '/v1/accounts/me',
      operationId: 'getMyAccount',
      problems: ['NOT_A_USER', 'ACCOUNT_NOT_FOUND'],
      summary: "The logged-in user's own account",
      tags: ['Accounts'],
      scope: 'profile',
      response: { status: 200, description: 'The account', schema: accountSchema },
      handler: async ({ caller }) =>
        accountJson((await backends.as(caller, identity, identity.getAccount, { accountId: 'me' })).account),
    }),
    route({
      method: 'patch',
      path: '/v1/accounts/me',
      operationId: 'updateMyAccount',
      problems: ['NOT_A_USER', ...profileChangeProblems],
      summary: "Change the logged-in user's own profile",
      description:
        'Fields present are changed; `null` clears an optional field; absent fields stay as they are.',
      tags: ['Accounts'],
      scope: 'profile',
      body: patchBody,
      response: { status: 200, description: 'The account after the change', schema: accountSchema },
      handler: async ({ caller, body }) =>
        accountJson(
          (
            await backends.as(caller, identity, identity.updateAccount, {
              accountId: 'me',
              patch: profileMessage(body),
            })
          ).account,
        ),
    }),
    route({
      method: 'get',
      path: '/v1/accounts/{id}',
      operationId: 'getAccount',
      problems: ['ACCOUNT_NOT_FOUND'],
      summary: 'One account of the tenant',
      tags: ['Accounts'],
      scope: 'accounts:read',
      params: idParams,
      response: { status: 200, description: 'The account', schema: accountSchema },
      handler: async ({ caller, params }) =>
        accountJson(
          (await backends.as(caller, identity, identity.getAccount, { accountId: params.id })).account,
        ),
    }),
    route({
      method: 'patch',
      path: '/v1/accounts/{id}',
      operationId: 'updateAccount',
      problems: profileChangeProblems,
      summary: "Change an account's profile",
      tags: ['Accounts'],
      scope: 'accounts:write',
      params: idParams,
      body: patchBody,
      response: { status: 200, description: 'The account after the change', schema: accountSchema },
      handler: async ({ caller, params, body }) =>
        accountJson(
          (
            await backends.as(caller, identity, identity.updateAccount, {
              accountId: params.id,
              patch: profileMessage(body),
            })
          ).account,
        ),
    }),
    route({
      method: 'post',
      path: '/v1/accounts/{id}/close',
      operationId: 'closeAccount',
      problems: ['ACCOUNT_NOT_FOUND', 'IDENTITY_PROVIDER_UNAVAILABLE'],
      summary: 'Close an account',
      description:
        'Disables its login and publishes identity.account.closed with the closing time, from which retention clocks run. Closing a closed account returns it unchanged.',
      tags: ['Accounts'],
      scope: 'accounts:write',
      params: idParams,
      response: { status: 200, description: 'The closed account', schema: accountSchema },
      handler: async ({ caller, params }) =>
        accountJson(
          (await backends.as(caller, identity, identity.closeAccount, { accountId: params.id })).account,
        ),
    }),
    route({
      method: 'get',
      path: '/v1/users',
      operationId: 'listUsers',
      problems: ['PAGE_TOKEN_INVALID', 'PAGE_SIZE_INVALID'],
      summary: "The tenant's users and their roles",
      tags: ['Users'],
      scope: 'users:read',
      query: pageQuery,
      response: {
        status: 200,
        description: 'A page of users',
        schema: z
          .object({
            users: z.array(
              z.object({
                id: z.uuid(),
                fullName: z.string(),
                email: z.string(),
                roles: z.array(z.string()),
                status: z.string(),
              }),
            ),
            nextPageToken: nextPage,
          })
          .openapi('UserPage'),
      },
      handler: async ({ caller, query }) => {
        const result = await backends.as(caller, identity, identity.listAccounts, {
          pageSize: query.pageSize ?? 0,
          pageToken: query.pageToken ?? '',
        });
        return {
          users: result.accounts
            .map(accountJson)
            .map(({ id, fullName, email, roles, status }) => ({ id, fullName, email, roles, status })),
          nextPageToken: result.nextPageToken,
        };
      },
    }),
    route({
      method: 'put',
      path: '/v1/users/{id}/roles',
      operationId: 'setUserRoles',
      problems: [
        'ACCOUNT_NOT_FOUND',
        'ROLES_INVALID',
        'SCOPE_ESCALATION',
        'ACCOUNT_CLOSED',
        'IDENTITY_PROVIDER_UNAVAILABLE',
      ],
      summary: "Replace a user's roles",
      description:
        'Roles: owner, admin, developer, billing, privacy_officer, support, member. You can give only roles whose scopes you hold.',
      tags: ['Users'],
      scope: 'users:write',
      params: idParams,
      body: z
        .object({ roles: z.array(roleEnum).min(1) })
        .strict()
        .openapi('SetRolesRequest'),
      response: { status: 200, description: 'The user after the change', schema: accountSchema },
      handler: async ({ caller, params, body }) =>
        accountJson(
          (
            await backends.as(caller, identity, identity.setRoles, {
              accountId: params.id,
              roles: body.roles,
            })
          ).account,
        ),
    }),
  ];
}
