import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { checkHealth } from '@parley/kit';
import type { RunningService } from '../../../../tests/support/service';
import { startIdentity, tokenUrl, type IdentityApp } from './identityForTests';

describe('identity: grpc.health.v1/Check and the embedded issuer', () => {
  let service: RunningService<IdentityApp>;

  beforeAll(async () => {
    service = await startIdentity();
  });

  afterAll(async () => {
    await service?.stop();
  });

  describe('SERVING', () => {
    it('answers SERVING for the server and for parley.identity.v1.IdentityService', async () => {
      expect(await checkHealth(service.address)).toBe('SERVING');
      expect(await checkHealth(service.address, 1_000, 'parley.identity.v1.IdentityService')).toBe('SERVING');
    });

    it("publishes the shared realm's signing keys where Keycloak would", async () => {
      const certs = tokenUrl(service).replace('/token', '/certs');
      const response = await fetch(certs);
      expect(response.status).toBe(200);
      const { keys } = (await response.json()) as {
        keys: { kty: string; alg: string; kid: string; d?: string }[];
      };
      expect(keys).toHaveLength(1);
      expect(keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256' });
      expect(keys[0]?.d).toBeUndefined();
      expect((await fetch(certs.replace('/realms/parley/', '/realms/nowhere/'))).status).toBe(404);
    });
  });

  describe('after SIGTERM-style stop', () => {
    it('stops answering', async () => {
      await service.stop();
      expect(await checkHealth(service.address, 500)).toBe('UNREACHABLE');
    });
  });
});
