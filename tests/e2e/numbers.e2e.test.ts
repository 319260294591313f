// Issue 10's journey through the gateway of `npm start`, with the demo credentials: search, buy, watch the
// order go active, configure forwarding and caller ID, list, release, and another tenant refused during
// the quarantine. Everything runs as real processes: the launcher, every service and the carrier simulator.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { freePort } from '../../tools/dev/src/ports';

const repoRoot = join(__dirname, '..', '..');
const home = mkdtempSync(join(tmpdir(), 'parley-e2e-numbers-'));

interface Dev {
  gatewayUrl: string;
  apiKey: string;
  adminApiKey: string;
}

interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown> & { code?: string };
}

describe('numbers through the gateway (npm start, demo credentials)', () => {
  let launcher: ChildProcess;
  let output = '';
  let dev: Dev;

  const api = async (
    method: string,
    path: string,
    key: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) => {
    const response = await fetch(`${dev.gatewayUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return {
      status: response.status,
      headers: response.headers,
      body: (await response.json()) as Answer['body'],
    };
  };

  beforeAll(async () => {
    launcher = spawn(
      process.execPath,
      ['--conditions=parley-source', '--import', 'tsx', 'tools/dev/src/main.ts'],
      {
        cwd: repoRoot,
        env: {
          ...process.env,
          PARLEY_HOME: home,
          NO_COLOR: '1',
          LOG_LEVEL: 'warn',
          PORT: String(await freePort()),
          CARRIER_SIM_ORDER_DELAY_MS: '300',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    launcher.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    launcher.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const deadline = Date.now() + 120_000;
    while (!/\| ready\n/.test(output)) {
      if (launcher.exitCode !== null || Date.now() > deadline)
        throw new Error(`launcher not ready:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    dev = JSON.parse(readFileSync(join(home, 'dev.json'), 'utf8')) as Dev;
  }, 150_000);

  afterAll(async () => {
    if (launcher && launcher.exitCode === null) {
      const exited = new Promise((resolve) => launcher.once('exit', resolve));
      launcher.kill('SIGINT');
      await exited;
    }
    rmSync(home, { recursive: true, force: true });
  }, 60_000);

  it('searches, buys, configures, lists and releases a number; another tenant cannot buy it in quarantine', async () => {
    const found = await api(
      'GET',
      '/v1/available-numbers?country=US&areaCode=415&capabilities=sms&limit=20',
      dev.apiKey,
    );
    expect(found.status).toBe(200);
    const numbers = found.body.numbers as {
      phoneNumber: string;
      capabilities: string[];
      monthlyPrice: unknown;
    }[];
    const pick = numbers.find((number) => !/999[0-2]$/.test(number.phoneNumber))!;
    expect(pick.capabilities).toContain('sms');
    expect(pick.monthlyPrice).toEqual({ currency: 'USD', minorUnits: expect.stringMatching(/^\d+$/) });

    const key = randomUUID();
    const bought = await api(
      'POST',
      '/v1/numbers',
      dev.apiKey,
      { phoneNumber: pick.phoneNumber },
      { 'idempotency-key': key },
    );
    expect(bought.status).toBe(202);
    expect(bought.body).toMatchObject({ status: 'pending', phoneNumber: pick.phoneNumber });
    const again = await api(
      'POST',
      '/v1/numbers',
      dev.apiKey,
      { phoneNumber: pick.phoneNumber },
      { 'idempotency-key': key },
    );
    expect(again.body.id).toBe(bought.body.id);

    let order = bought.body;
    const deadline = Date.now() + 30_000;
    while (order.status === 'pending' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      order = (await api('GET', `/v1/number-orders/${String(bought.body.id)}`, dev.apiKey)).body;
    }
    expect(order.status).toBe('active');
    const numberId = String(order.numberId);

    const configured = await api('PATCH', `/v1/numbers/${numberId}`, dev.apiKey, {
      forwardingTarget: '+14155550199',
      callerId: '+14155550123',
    });
    expect(configured.status).toBe(200);
    // Assigned to no account: null, never an empty id a client could put into /v1/accounts/{accountId}.
    expect(configured.body).toMatchObject({
      forwardingTarget: '+14155550199',
      callerId: '+14155550123',
      accountId: null,
    });
    // Every mistake is named in one answer, not one per round.
    const refused = await api('PATCH', `/v1/numbers/${numberId}`, dev.apiKey, {
      forwardingTarget: 'not a number',
      messagingWebhookUrl: 'ftp://example.com/hook',
      throughputClass: 'huge',
    });
    expect(refused.status).toBe(400);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect((refused.body.errors as { field: string }[]).map((error) => error.field).sort()).toEqual([
      'forwardingTarget',
      'messagingWebhookUrl',
      'throughputClass',
    ]);

    const listed = await api('GET', '/v1/numbers?capability=sms&status=active', dev.apiKey);
    expect((listed.body.numbers as { id: string }[]).map((number) => number.id)).toContain(numberId);

    const released = await api('DELETE', `/v1/numbers/${numberId}`, dev.apiKey);
    expect(released.status).toBe(200);
    expect(released.body.status).toBe('quarantined');

    const other = await api('POST', '/v1/tenants', dev.adminApiKey, {
      id: `e2e-numbers-${Date.now()}`,
      name: 'Another tenant',
      tenancyMode: 'pooled',
      jurisdiction: 'other',
    });
    expect(other.status).toBe(201);
    const intruder = await api(
      'POST',
      '/v1/numbers',
      String(other.body.apiKey),
      { phoneNumber: pick.phoneNumber },
      { 'idempotency-key': randomUUID() },
    );
    expect(intruder.status).toBe(409);
    expect(intruder.body.code).toBe('NUMBER_IN_QUARANTINE');
    const bad = await api(
      'POST',
      '/v1/numbers',
      dev.apiKey,
      { phoneNumber: '123' },
      { 'idempotency-key': randomUUID() },
    );
    expect(bad.status).toBe(400);
    const unknown = await api('GET', '/v1/available-numbers?country=XX', dev.apiKey);
    expect(unknown.body.code).toBe('COUNTRY_UNKNOWN');
  }, 120_000);
});
