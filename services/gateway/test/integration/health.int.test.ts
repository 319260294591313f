import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { checkHealth } from '@parley/kit';
import { freePort } from '../../../../tools/dev/src/ports';
import { startService, type RunningService } from '../../../../tests/support/service';
import { buildApp, type GatewayApp } from '../../src/app';
import { loadConfig } from '../../src/config';

describe('gateway: liveness and its own grpc.health.v1', () => {
  let service: RunningService<GatewayApp>;

  beforeAll(async () => {
    // Backends that are not running: the gateway itself must still be alive, and say it is not ready.
    const nowhere = `127.0.0.1:${await freePort()}`;
    service = await startService('gateway', (env) => buildApp(loadConfig(env)), {
      PORT: '0',
      HOST: '127.0.0.1',
      READINESS_TIMEOUT_MS: '300',
      IDENTITY_ADDR: nowhere,
      NUMBERING_ADDR: nowhere,
      MESSAGING_ADDR: nowhere,
      BILLING_ADDR: nowhere,
      PRIVACY_ADDR: nowhere,
    });
  });

  afterAll(async () => {
    await service?.stop();
  });

  it('is alive and SERVING while no backend answers, and not ready', async () => {
    const base = `http://127.0.0.1:${service.app.httpPort()}`;
    expect(await checkHealth(service.address)).toBe('SERVING');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { status: string }).status).toBe('not_ready');
  });

  it('stops answering after stop', async () => {
    const base = `http://127.0.0.1:${service.app.httpPort()}`;
    await service.stop();
    expect(await checkHealth(service.address, 500)).toBe('UNREACHABLE');
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
  });
});
