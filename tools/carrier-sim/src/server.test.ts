import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { loadSimConfig } from './config';
import { startCarrierSim, type CarrierSim } from './server';

const apiKey = 'server-test-key-0123456789';

describe('carrier-sim HTTP API', () => {
  let sim: CarrierSim;

  beforeAll(async () => {
    sim = await startCarrierSim(
      loadSimConfig({
        CARRIER_SIM_PORT: '0',
        CARRIER_SIM_API_KEY: apiKey,
        CARRIER_SIM_CALLBACK_SECRET: 'server-test-secret-0123456789',
        CARRIER_SIM_ORDER_DELAY_MS: '50',
        CARRIER_SIM_SMPP_PORT: '0',
        CARRIER_SIM_SMPP_PASSWORD: 'secret12',
      }),
    );
  });

  afterAll(async () => {
    await sim?.stop();
  });

  const send = async (method: string, path: string, body?: string, key: string | null = apiKey) => {
    const response = await fetch(`${sim.url}${path}`, {
      method,
      headers: {
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body,
    });
    const text = await response.text();
    return {
      status: response.status,
      body: text ? (JSON.parse(text) as { error?: { code: string; field?: string } }) : {},
    };
  };

  describe('401', () => {
    it('refuses a request without a key or with a wrong one, the control API too', async () => {
      expect((await send('GET', '/v1/available-numbers?country=US', undefined, null)).status).toBe(401);
      expect(await send('GET', '/v1/orders/x', undefined, 'wrong-key')).toMatchObject({
        status: 401,
        body: { error: { code: 'unauthorized' } },
      });
      expect((await send('GET', '/control/counters', undefined, null)).status).toBe(401);
      expect((await send('GET', '/healthz', undefined, null)).status).toBe(200);
    });
  });

  describe('400', () => {
    it.each([
      ['POST', '/v1/orders', '{"phoneNumbers": [', undefined],
      ['POST', '/v1/orders', '{"reference": "r"}', 'phoneNumbers'],
      ['POST', '/v1/orders', '{"phoneNumbers": ["0123"], "reference": "r"}', 'phoneNumbers.0'],
      ['POST', '/v1/orders', '{"phoneNumbers": ["+14155550100"]}', 'reference'],
      [
        'POST',
        '/v1/orders',
        '{"phoneNumbers": ["+14155550100","+14155550100"], "reference": "r"}',
        'phoneNumbers',
      ],
      [
        'POST',
        '/v1/orders',
        '{"phoneNumbers": ["+14155550100"], "reference": "r", "callbackUrl": "ftp://x"}',
        'callbackUrl',
      ],
      [
        'POST',
        '/v1/reservations',
        '{"phoneNumbers": ["+14155550100"], "ttlSeconds": 0, "reference": "r"}',
        'ttlSeconds',
      ],
      ['PUT', '/v1/numbers/%2B14155550100/routing', '{"voiceRoute": ""}', 'voiceRoute'],
      ['PUT', '/v1/numbers/%2B14155550100/routing', '{"sipRoute": "x"}', undefined],
      ['DELETE', '/v1/numbers/not-a-number', undefined, 'phoneNumber'],
      [
        'POST',
        '/v1/port-ins',
        JSON.stringify({
          phoneNumbers: ['+14155550100'],
          losingCarrier: 'Old',
          accountNumber: 'A',
          authorizedName: 'N',
          address: { line1: 'l', city: 'c', postalCode: 'p', country: 'US' },
          requestedDate: 'next week',
          reference: 'r',
        }),
        'requestedDate',
      ],
      ['POST', '/control/outage', '{"seconds": -1}', 'seconds'],
    ])('%s %s %s names %s', async (method, path, body, field) => {
      const answer = await send(method, path, body);
      expect(answer.status).toBe(400);
      expect(answer.body.error?.code).toBe('invalid_request');
      expect(answer.body.error?.field).toBe(field);
    });
  });

  describe('404', () => {
    it('answers unknown endpoints and ids as JSON', async () => {
      expect(await send('GET', '/v1/nothing-here')).toMatchObject({
        status: 404,
        body: { error: { code: 'not_found' } },
      });
      expect(await send('GET', '/v1/port-ins/port_x')).toMatchObject({
        status: 404,
        body: { error: { code: 'not_found' } },
      });
      expect((await send('DELETE', '/v1/numbers/%2B390212345678')).status).toBe(404);
    });
  });

  describe('503', () => {
    it('answers every API call 503 with Retry-After during an outage, but not the control API', async () => {
      expect((await send('POST', '/control/outage', '{"seconds": 20}')).status).toBe(200);
      const response = await fetch(`${sim.url}/v1/available-numbers?country=US`, {
        headers: { authorization: `Bearer ${apiKey}` },
      });
      expect(response.status).toBe(503);
      expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(19);
      expect((await response.json()) as unknown).toEqual({
        error: { code: 'service_unavailable', message: expect.any(String) },
      });
      expect((await send('GET', '/control/counters')).status).toBe(200);
      expect((await send('DELETE', '/control/outage')).status).toBe(204);
      expect((await send('GET', '/v1/available-numbers?country=US')).status).toBe(200);
    });
  });
});
