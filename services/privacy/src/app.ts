import { locateAssets, ServiceRuntime, type App } from '@parley/kit';
import { privacyV1, protoFiles } from '@parley/proto';
import { version } from '../package.json';
import type { Config } from './config';
import { RequestRepository } from './db/requests';
import { makeListRequests } from './rpc/listRequests';

export interface PrivacyApp extends App {
  runtime: ServiceRuntime;
}

/** Composition root: builds the runtime, then the repositories, then the RPC handlers. */
export function buildApp(config: Config): PrivacyApp {
  const runtime = new ServiceRuntime({
    service: 'privacy',
    version,
    env: config,
    assets: locateAssets(__dirname),
    protoFiles: [protoFiles.privacy],
  });
  const requests = new RequestRepository(runtime.db);
  const implementation: privacyV1.PrivacyServiceServer = {
    listRequests: runtime.unary('ListRequests', makeListRequests({ requests }), { scope: 'privacy:read' }),
  };
  return {
    runtime,
    start: () =>
      runtime.start({
        grpcServices: [
          {
            name: 'parley.privacy.v1.PrivacyService',
            definition: privacyV1.PrivacyServiceService,
            implementation,
          },
        ],
      }),
    stop: () => runtime.stop(),
    migrate: () => runtime.migrate(),
  };
}
