import { locateAssets, ServiceRuntime, type App } from '@parley/kit';
import { billingV1, protoFiles } from '@parley/proto';
import { version } from '../package.json';
import type { Config } from './config';
import { AccountRepository } from './db/accounts';
import { makeGetBalance } from './rpc/getBalance';
import { onTenantCreated } from './events/consumers/tenantCreated';

export interface BillingApp extends App {
  runtime: ServiceRuntime;
}

/** Composition root: builds the runtime, then the repositories, then the RPC handlers and consumers. */
export function buildApp(config: Config): BillingApp {
  const runtime = new ServiceRuntime({
    service: 'billing',
    version,
    env: config,
    assets: locateAssets(__dirname),
    protoFiles: [protoFiles.billing],
  });
  const accounts = new AccountRepository(runtime.db);
  const implementation: billingV1.BillingServiceServer = {
    getBalance: runtime.unary('GetBalance', makeGetBalance({ accounts }), { scope: 'billing:read' }),
  };
  return {
    runtime,
    start: () =>
      runtime.start({
        grpcServices: [
          {
            name: 'parley.billing.v1.BillingService',
            definition: billingV1.BillingServiceService,
            implementation,
          },
        ],
        consumers: [onTenantCreated({ accounts, currency: config.BILLING_DEFAULT_CURRENCY })],
      }),
    stop: () => runtime.stop(),
    migrate: () => runtime.migrate(),
  };
}
