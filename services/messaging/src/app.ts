import { locateAssets, ServiceRuntime, type App } from '@parley/kit';
import { messagingV1, protoFiles } from '@parley/proto';
import { version } from '../package.json';
import type { Config } from './config';
import { MessageRepository } from './db/messages';
import { makeListMessages } from './rpc/listMessages';

export interface MessagingApp extends App {
  runtime: ServiceRuntime;
}

/** Composition root: builds the runtime, then the repositories, then the RPC handlers. */
export function buildApp(config: Config): MessagingApp {
  const runtime = new ServiceRuntime({
    service: 'messaging',
    version,
    env: config,
    assets: locateAssets(__dirname),
    protoFiles: [protoFiles.messaging],
  });
  const messages = new MessageRepository(runtime.db);
  const implementation: messagingV1.MessagingServiceServer = {
    listMessages: runtime.unary('ListMessages', makeListMessages({ messages }), { scope: 'messages:read' }),
  };
  return {
    runtime,
    start: () =>
      runtime.start({
        grpcServices: [
          {
            name: 'parley.messaging.v1.MessagingService',
            definition: messagingV1.MessagingServiceService,
            implementation,
          },
        ],
      }),
    stop: () => runtime.stop(),
    migrate: () => runtime.migrate(),
  };
}
