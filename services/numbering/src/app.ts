import { locateAssets, ServiceRuntime, type App } from '@parley/kit';
import { numberingV1, protoFiles } from '@parley/proto';
import { version } from '../package.json';
import type { Config } from './config';
import { NumberRepository } from './db/numbers';
import { OrderRepository } from './db/orders';
import { PortInRepository } from './db/portIns';
import { SettingsRepository } from './db/settings';
import { QUEUES, SUPPLIER_RETRIES, type NumberingDeps } from './deps';
import { ResolveCache } from './domain/resolveCache';
import type { NumberSupplier } from './domain/supplier';
import { makeFollowOrder } from './jobs/followOrder';
import { makeFollowPortIn } from './jobs/followPortIn';
import { makeEndQuarantine, makeReleaseNumberJob } from './jobs/releaseNumber';
import { numberingParticipant } from './privacy';
import { makeCreateNumberOrder } from './rpc/createNumberOrder';
import { makeGetNumber } from './rpc/getNumber';
import { makeGetNumberOrder } from './rpc/getNumberOrder';
import { makeListAccountNumbers } from './rpc/listAccountNumbers';
import { makeListNumbers } from './rpc/listNumbers';
import { makeGetNumberingSettings } from './rpc/getNumberingSettings';
import { makeUpdateNumberingSettings } from './rpc/updateNumberingSettings';
import { makeCancelPortIn } from './rpc/cancelPortIn';
import { makeCreatePortIn } from './rpc/createPortIn';
import { makeGetPortIn } from './rpc/getPortIn';
import { makeListPortIns } from './rpc/listPortIns';
import { makeSubmitPortIn } from './rpc/submitPortIn';
import { makeReleaseNumber } from './rpc/releaseNumber';
import { makeReserveNumbers } from './rpc/reserveNumbers';
import { makeResolveNumber } from './rpc/resolveNumber';
import { makeSearchAvailableNumbers } from './rpc/searchAvailableNumbers';
import { makeUpdateNumber } from './rpc/updateNumber';
import { makeSupplier } from './supplier';

export interface NumberingApp extends App {
  runtime: ServiceRuntime;
  deps: NumberingDeps;
}

/** Composition root: runtime, supplier adapter, repositories, then the RPC handlers and job workers. */
export function buildApp(config: Config): NumberingApp {
  const runtime = new ServiceRuntime({
    service: 'numbering',
    version,
    env: config,
    assets: locateAssets(__dirname),
    protoFiles: [protoFiles.numbering],
  });
  const supplier: NumberSupplier = makeSupplier(config);
  const deps: NumberingDeps = {
    db: runtime.db,
    withTenant: (tenantId, work) => runtime.withTenant(tenantId, work),
    outbox: runtime.outbox,
    jobs: runtime.jobs,
    numbers: new NumberRepository(runtime.db),
    orders: new OrderRepository(),
    portIns: new PortInRepository(runtime.db),
    settings: new SettingsRepository(),
    supplier,
    rates: config.EXCHANGE_RATES,
    routing: {
      ...(config.NUMBER_MESSAGING_ROUTE ? { messagingRoute: config.NUMBER_MESSAGING_ROUTE } : {}),
      ...(config.NUMBER_VOICE_ROUTE ? { voiceRoute: config.NUMBER_VOICE_ROUTE } : {}),
    },
    cache: new ResolveCache(config.RESOLVE_CACHE_TTL_MS),
  };
  const rpc = runtime.unary.bind(runtime);
  const read = { scope: 'numbers:read' } as const;
  const write = { scope: 'numbers:write' } as const;
  const implementation: numberingV1.NumberingServiceServer = {
    searchAvailableNumbers: rpc('SearchAvailableNumbers', makeSearchAvailableNumbers(deps), read),
    reserveNumbers: rpc('ReserveNumbers', makeReserveNumbers(deps), write),
    createNumberOrder: rpc('CreateNumberOrder', makeCreateNumberOrder(deps), write),
    getNumberOrder: rpc('GetNumberOrder', makeGetNumberOrder(deps), read),
    listNumbers: rpc('ListNumbers', makeListNumbers(deps), read),
    getNumber: rpc('GetNumber', makeGetNumber(deps), read),
    updateNumber: rpc('UpdateNumber', makeUpdateNumber(deps), write),
    releaseNumber: rpc('ReleaseNumber', makeReleaseNumber(deps), write),
    createPortIn: rpc('CreatePortIn', makeCreatePortIn(deps), write),
    getPortIn: rpc('GetPortIn', makeGetPortIn(deps), read),
    listPortIns: rpc('ListPortIns', makeListPortIns(deps), read),
    submitPortIn: rpc('SubmitPortIn', makeSubmitPortIn(deps), write),
    cancelPortIn: rpc('CancelPortIn', makeCancelPortIn(deps), write),
    getNumberingSettings: rpc('GetNumberingSettings', makeGetNumberingSettings(deps), read),
    updateNumberingSettings: rpc('UpdateNumberingSettings', makeUpdateNumberingSettings(deps), {
      scope: 'tenant:write',
    }),
    // Messaging resolves numbers of any tenant (an inbound message names only the number).
    resolveNumber: rpc('ResolveNumber', makeResolveNumber(deps), { scope: 'internal', tenant: false }),
    listAccountNumbers: rpc('ListAccountNumbers', makeListAccountNumbers(deps), {
      scope: ['internal', 'numbers:read'],
    }),
  };
  return {
    runtime,
    deps,
    start: async () => {
      const follow = SUPPLIER_RETRIES;
      await runtime.jobs.work(QUEUES.followOrder, makeFollowOrder(deps), {
        ...follow,
        concurrency: 4,
        pollingIntervalSeconds: 0.5,
        expireInSeconds: 30,
      });
      await runtime.jobs.work(QUEUES.followPortIn, makeFollowPortIn(deps), {
        ...follow,
        concurrency: 2,
        pollingIntervalSeconds: 0.5,
        expireInSeconds: 30,
      });
      await runtime.jobs.work(QUEUES.releaseNumber, makeReleaseNumberJob(deps), {
        ...follow,
        expireInSeconds: 30,
      });
      await runtime.jobs.work(QUEUES.endQuarantine, makeEndQuarantine(deps), {
        retryLimit: 50,
        retryBackoff: true,
      });
      await runtime.start({
        grpcServices: [
          {
            name: 'parley.numbering.v1.NumberingService',
            definition: numberingV1.NumberingServiceService,
            implementation,
          },
        ],
        participant: numberingParticipant(deps),
        // Each replica drops its cached answer for a number when any replica changes it.
        broadcasts: [
          {
            name: 'resolve-cache',
            types: 'numbering.number.>',
            handle: (event) => {
              if (event.aggregateKey.startsWith('number:'))
                deps.cache.invalidate(event.aggregateKey.slice(7));
            },
          },
        ],
      });
    },
    stop: () => runtime.stop(),
    migrate: () => runtime.migrate(),
  };
}
