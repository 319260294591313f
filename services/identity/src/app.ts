import { locateAssets, Sealer, ServiceRuntime, type App } from '@parley/kit';
import { identityV1, protoFiles } from '@parley/proto';
import { version } from '../package.json';
import type { Config } from './config';
import { TenantRepository } from './db/tenants';
import { ApiKeyRepository } from './db/apiKeys';
import { AccountRepository } from './db/accounts';
import { OAuthClientRepository } from './db/oauthClients';
import { EmbeddedIdentityProvider } from './idp/embedded';
import { KeycloakIdentityProvider } from './idp/keycloak';
import type { IdentityProvider } from './idp/provider';
import { makeCreateTenant } from './rpc/createTenant';
import { makeGetTenant } from './rpc/getTenant';
import { makeListTenants } from './rpc/listTenants';
import { makeCloseTenant } from './rpc/closeTenant';
import { makeCreateAccount } from './rpc/createAccount';
import { makeGetAccount } from './rpc/getAccount';
import { makeUpdateAccount } from './rpc/updateAccount';
import { makeCloseAccount } from './rpc/closeAccount';
import { makeListAccounts } from './rpc/listAccounts';
import { makeSetRoles } from './rpc/setRoles';
import { makeRecordLogin } from './rpc/recordLogin';
import { makeCreateApiKey } from './rpc/createApiKey';
import { makeListApiKeys } from './rpc/listApiKeys';
import { makeRevokeApiKey } from './rpc/revokeApiKey';
import { makeAuthenticateApiKey } from './rpc/authenticateApiKey';
import { makeCreateOAuthClient } from './rpc/createOAuthClient';
import { makeListOAuthClients } from './rpc/listOAuthClients';
import { makeRevokeOAuthClient } from './rpc/revokeOAuthClient';
import { makeResolveSubject } from './rpc/resolveSubject';
import { makeGetUserStatus } from './rpc/getUserStatus';
import { makeRotateTwilioAuthToken } from './rpc/rotateTwilioAuthToken';
import { makeAuthenticateTwilio } from './rpc/authenticateTwilio';
import { makeSignTwilioCallback } from './rpc/signTwilioCallback';
import { TwilioAuthTokenRepository } from './db/twilioAuthTokens';
import { TWILIO_TOKEN_SEALING_PURPOSE } from './domain/twilio';
import { identityParticipant } from './privacy';
import { ApiKeyDigester } from './domain/apiKey';

export interface IdentityApp extends App {
  runtime: ServiceRuntime;
  idp: IdentityProvider;
  /** Port of the embedded identity provider's issuer, when it runs. */
  embeddedIdpPort(): number | undefined;
}

/** Composition root: runtime, identity provider, repositories, then the RPC handlers. */
export function buildApp(
  config: Config,
  overrides: { wrapIdentityProvider?: (provider: IdentityProvider) => IdentityProvider } = {},
): IdentityApp {
  const runtime = new ServiceRuntime({
    service: 'identity',
    version,
    env: config,
    assets: locateAssets(__dirname),
    protoFiles: [protoFiles.identity],
  });
  const embedded =
    config.IDENTITY_PROVIDER === 'embedded'
      ? new EmbeddedIdentityProvider({
          db: runtime.db,
          log: runtime.log,
          publicUrl:
            config.EMBEDDED_IDP_PUBLIC_URL ??
            `http://${config.EMBEDDED_IDP_HOST}:${config.EMBEDDED_IDP_PORT}`,
          sharedRealm: config.KEYCLOAK_REALM,
        })
      : undefined;
  const chosen: IdentityProvider =
    embedded ??
    new KeycloakIdentityProvider({
      url: config.KEYCLOAK_URL ?? '',
      sharedRealm: config.KEYCLOAK_REALM,
      admin: config.KEYCLOAK_ADMIN_CLIENT_ID
        ? {
            clientId: config.KEYCLOAK_ADMIN_CLIENT_ID,
            clientSecret: config.KEYCLOAK_ADMIN_CLIENT_SECRET ?? '',
          }
        : { username: config.KEYCLOAK_ADMIN_USERNAME ?? '', password: config.KEYCLOAK_ADMIN_PASSWORD ?? '' },
      log: runtime.log,
    });
  // Tests wrap the provider to make it fail on cue; production uses it as is.
  const idp = overrides.wrapIdentityProvider?.(chosen) ?? chosen;
  const tenants = new TenantRepository(runtime.db, runtime.outbox);
  const apiKeys = new ApiKeyRepository(runtime.db);
  const digester = new ApiKeyDigester(config.API_KEY_PEPPER);
  const accounts = new AccountRepository(runtime.db, runtime.outbox);
  const clients = new OAuthClientRepository(runtime.db);
  const twilioTokens = new TwilioAuthTokenRepository(
    runtime.db,
    new Sealer(config.API_KEY_PEPPER, { purpose: TWILIO_TOKEN_SEALING_PURPOSE }),
  );
  const rpc = runtime.unary.bind(runtime);
  const platform = { scope: 'platform:admin', tenant: false } as const;
  const implementation: identityV1.IdentityServiceServer = {
    createTenant: rpc('CreateTenant', makeCreateTenant({ tenants, apiKeys, digester, idp }), platform),
    getTenant: rpc('GetTenant', makeGetTenant({ tenants }), { tenant: false }),
    // Privacy lists tenants for its retention runs as itself, with the internal scope.
    listTenants: rpc('ListTenants', makeListTenants({ tenants }), {
      scope: ['platform:admin', 'internal'],
      tenant: false,
    }),
    closeTenant: rpc('CloseTenant', makeCloseTenant({ tenants }), platform),
    createAccount: rpc('CreateAccount', makeCreateAccount({ accounts, tenants, idp }), {
      scope: 'accounts:write',
    }),
    getAccount: rpc('GetAccount', makeGetAccount({ accounts }), { scope: 'profile' }),
    updateAccount: rpc(
      'UpdateAccount',
      makeUpdateAccount({
        accounts,
        tenants,
        idp,
        restrictions: { db: runtime.db, secret: runtime.subjectHashKeys },
      }),
      { scope: 'profile' },
    ),
    closeAccount: rpc('CloseAccount', makeCloseAccount({ accounts, tenants, idp }), {
      scope: 'accounts:write',
    }),
    listAccounts: rpc('ListAccounts', makeListAccounts({ accounts }), { scope: 'accounts:read' }),
    setRoles: rpc('SetRoles', makeSetRoles({ accounts, tenants, idp }), { scope: 'users:write' }),
    recordLogin: rpc('RecordLogin', makeRecordLogin({ accounts }), { scope: 'profile' }),
    createApiKey: rpc('CreateApiKey', makeCreateApiKey({ apiKeys, tenants, digester }), {
      scope: 'api-keys:write',
    }),
    listApiKeys: rpc('ListApiKeys', makeListApiKeys({ apiKeys }), { scope: 'api-keys:read' }),
    revokeApiKey: rpc('RevokeApiKey', makeRevokeApiKey({ apiKeys }), { scope: 'api-keys:write' }),
    // The gateway asks before it knows who the caller is.
    authenticateApiKey: rpc('AuthenticateApiKey', makeAuthenticateApiKey({ apiKeys, digester }), {
      scope: 'internal',
      tenant: false,
    }),
    createOAuthClient: rpc('CreateOAuthClient', makeCreateOAuthClient({ clients, tenants, idp }), {
      scope: 'oauth-clients:write',
    }),
    listOAuthClients: rpc('ListOAuthClients', makeListOAuthClients({ clients, tenants, idp }), {
      scope: 'oauth-clients:read',
    }),
    revokeOAuthClient: rpc('RevokeOAuthClient', makeRevokeOAuthClient({ clients, tenants, idp }), {
      scope: 'oauth-clients:write',
    }),
    resolveSubject: rpc('ResolveSubject', makeResolveSubject({ db: runtime.db }), { scope: 'internal' }),
    // The gateway asks for the tenant a token names, before it trusts the token.
    getUserStatus: rpc(
      'GetUserStatus',
      makeGetUserStatus({ db: runtime.db, subjectHashKeys: runtime.subjectHashKeys }),
      { scope: 'internal', tenant: false },
    ),
    rotateTwilioAuthToken: rpc('RotateTwilioAuthToken', makeRotateTwilioAuthToken({ twilioTokens }), {
      scope: 'api-keys:write',
    }),
    // The gateway asks before it knows who the caller is.
    authenticateTwilio: rpc('AuthenticateTwilio', makeAuthenticateTwilio({ twilioTokens }), {
      scope: 'internal',
      tenant: false,
    }),
    // Messaging, for the callbacks it posts to the tenant in Twilio's format.
    signTwilioCallback: rpc('SignTwilioCallback', makeSignTwilioCallback({ twilioTokens }), {
      scope: 'internal',
    }),
  };
  let issuerPort: number | undefined;
  return {
    runtime,
    idp,
    embeddedIdpPort: () => issuerPort,
    start: async () => {
      await runtime.start({
        grpcServices: [
          {
            name: 'parley.identity.v1.IdentityService',
            definition: identityV1.IdentityServiceService,
            implementation,
          },
        ],
        participant: identityParticipant({
          idp,
          realmOf: async (tenantId) => (await tenants.find(tenantId))?.realm ?? config.KEYCLOAK_REALM,
        }),
      });

      if (embedded) {
        issuerPort = await embedded.listen(config.EMBEDDED_IDP_PORT, config.EMBEDDED_IDP_HOST);
        await embedded.provisionTenant({ id: 'platform', name: 'Parley platform', tenancyMode: 'pooled' });
        runtime.log.info({ port: issuerPort }, 'embedded identity provider listening');
      }
    },
    stop: async () => {
      await embedded?.close();
      await runtime.stop();
    },
    migrate: () => runtime.migrate(),
  };
}
