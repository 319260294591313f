import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { checkHealth } from '@parley/kit';
import { startCarrierSim, type CarrierSimHandle } from '../../../../tests/support/carrierSim';
import { startService, type RunningService } from '../../../../tests/support/service';
import { buildApp } from '../../src/app';
import { loadConfig } from '../../src/config';

describe('numbering: grpc.health.v1/Check', () => {
  let service: RunningService;
  let carrier: CarrierSimHandle;

  beforeAll(async () => {
    carrier = await startCarrierSim();
    service = await startService('numbering', (env) => buildApp(loadConfig(env)), carrier.env);
  });

  afterAll(async () => {
    await service?.stop();
    await carrier?.stop();
  });

  describe('SERVING', () => {
    it('answers SERVING for the server and for parley.numbering.v1.NumberingService', async () => {
      expect(await checkHealth(service.address)).toBe('SERVING');
      expect(await checkHealth(service.address, 1_000, 'parley.numbering.v1.NumberingService')).toBe(
        'SERVING',
      );
    });
  });

  describe('after SIGTERM-style stop', () => {
    it('stops answering', async () => {
      await service.stop();
      expect(await checkHealth(service.address, 500)).toBe('UNREACHABLE');
    });
  });
});
