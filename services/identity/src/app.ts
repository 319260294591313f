import { locateAssets, ServiceRuntime, unary, type App } from '@parley/kit';
import { identityV1, protoFiles } from '@parley/proto';
import { version } from '../package.json';
import type { Config } from './config';
import { TenantRepository } from './db/tenants';
import { ApiKeyRepository } from './db/apiKeys';
import { makeCreateTenant } from './rpc/createTenant';
import { makeGetTenant } from './rpc/getTenant';
import { makeCreateApiKey } from './rpc/createApiKey';
import { makeAuthenticateApiKey } from './rpc/authenticateApiKey';

export interface IdentityApp extends App {
  runtime: ServiceRuntime;
}

/** Composition root: builds the runtime, then the repositories, then the RPC handlers. */
export function buildApp(config: Config): IdentityApp {
  const runtime = new ServiceRuntime({
    service: 'identity',
    version,
    env: config,
    assets: locateAssets(__dirname),
    protoFiles: [protoFiles.identity],
  });
  const { log } = runtime;
  const tenants = new TenantRepository(runtime.db, runtime.outbox);
  const apiKeys = new ApiKeyRepository(runtime.db);
  const implementation: identityV1.IdentityServiceServer = {
    // Platform-level: creating a tenant is not done on behalf of a tenant.
    createTenant: unary('CreateTenant', log, makeCreateTenant({ tenants }), { requireCaller: false }),
    getTenant: unary('GetTenant', log, makeGetTenant({ tenants })),
    createApiKey: unary('CreateApiKey', log, makeCreateApiKey({ apiKeys, tenants })),
    // Called by the gateway to find out who the caller is, so there is no caller yet.
    authenticateApiKey: unary('AuthenticateApiKey', log, makeAuthenticateApiKey({ apiKeys }), {
      requireCaller: false,
    }),
  };
  return {
    runtime,
    start: () =>
      runtime.start({
        grpcServices: [
          {
            name: 'parley.identity.v1.IdentityService',
            definition: identityV1.IdentityServiceService,
            implementation,
          },
        ],
      }),
    stop: () => runtime.stop(),
    migrate: () => runtime.migrate(),
  };
}
