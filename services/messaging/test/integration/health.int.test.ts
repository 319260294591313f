import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { checkHealth } from '@parley/kit';
import { startService, type RunningService } from '../../../../tests/support/service';
import { ABSENT_PEERS } from './messagingForTests';
import { buildApp } from '../../src/app';
import { loadConfig } from '../../src/config';

describe('messaging: grpc.health.v1/Check', () => {
  let service: RunningService;

  beforeAll(async () => {
    service = await startService('messaging', (env) => buildApp(loadConfig(env)), ABSENT_PEERS);
  });

  afterAll(async () => {
    await service?.stop();
  });

  describe('SERVING', () => {
    it('answers SERVING for the server and for parley.messaging.v1.MessagingService', async () => {
      expect(await checkHealth(service.address)).toBe('SERVING');
      expect(await checkHealth(service.address, 1_000, 'parley.messaging.v1.MessagingService')).toBe(
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
