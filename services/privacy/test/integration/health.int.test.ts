import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { checkHealth } from '@parley/kit';
import { startService, type RunningService } from '../../../../tests/support/service';
import { buildApp } from '../../src/app';
import { loadConfig } from '../../src/config';

describe('privacy: grpc.health.v1/Check', () => {
  let service: RunningService;

  beforeAll(async () => {
    service = await startService('privacy', (env) => buildApp(loadConfig(env)), {
      IDENTITY_ADDR: '127.0.0.1:1',
      PRIVACY_PARTICIPANTS: 'privacy=127.0.0.1:1',
      PRIVACY_ARCHIVE_KEY: 'test-archive-key-0123456789abcdefghijkl',
      DEADLINE_SCAN_CRON: 'off',
      RETENTION_RUN_AT: 'off',
    });
  });

  afterAll(async () => {
    await service?.stop();
  });

  describe('SERVING', () => {
    it('answers SERVING for the server and for parley.privacy.v1.PrivacyService', async () => {
      expect(await checkHealth(service.address)).toBe('SERVING');
      expect(await checkHealth(service.address, 1_000, 'parley.privacy.v1.PrivacyService')).toBe('SERVING');
    });
  });

  describe('after SIGTERM-style stop', () => {
    it('stops answering', async () => {
      await service.stop();
      expect(await checkHealth(service.address, 500)).toBe('UNREACHABLE');
    });
  });
});
