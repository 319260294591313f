import { locateAssets, ServiceRuntime, type App } from '@parley/kit';
import { numberingV1, protoFiles } from '@parley/proto';
import { version } from '../package.json';
import type { Config } from './config';
import { NumberRepository } from './db/numbers';
import { makeListNumbers } from './rpc/listNumbers';

export interface NumberingApp extends App {
  runtime: ServiceRuntime;
}

/** Composition root: builds the runtime, then the repositories, then the RPC handlers. */
export function buildApp(config: Config): NumberingApp {
  const runtime = new ServiceRuntime({
    service: 'numbering',
    version,
    env: config,
    assets: locateAssets(__dirname),
    protoFiles: [protoFiles.numbering],
  });
  const numbers = new NumberRepository(runtime.db);
  const implementation: numberingV1.NumberingServiceServer = {
    listNumbers: runtime.unary('ListNumbers', makeListNumbers({ numbers }), { scope: 'numbers:read' }),
  };
  return {
    runtime,
    start: () =>
      runtime.start({
        grpcServices: [
          {
            name: 'parley.numbering.v1.NumberingService',
            definition: numberingV1.NumberingServiceService,
            implementation,
          },
        ],
      }),
    stop: () => runtime.stop(),
    migrate: () => runtime.migrate(),
  };
}
