// Issue 11's send path through the gateway of `npm start`, with the demo credentials: buy a number, send
// an SMS from it, and watch it reach `delivered` through the carrier simulator's SMSC over SMPP. Everything
// runs as real processes: the launcher, every service and the carrier simulator.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Webhook } from 'standardwebhooks';
import { freePort } from '../../tools/dev/src/ports';
import { buyNumberThroughGateway } from '../support/gatewayNumbers';
import { gatewayCall, type CallArgs } from '../support/http';
import { devCredentials, launch, untilReady, type Launch } from '../support/launcher';

const home = mkdtempSync(join(tmpdir(), 'parley-e2e-messages-'));

describe('messages through the gateway (npm start, demo credentials)', () => {
  let run: Launch;
  let dev: ReturnType<typeof devCredentials>;
  // The tenant's status-callback receiver: every POST it gets, as it got it.
  const callbacks: { body: string; headers: IncomingHttpHeaders }[] = [];
  let receiver: Server;

  const api = (...args: CallArgs) => gatewayCall({ baseUrl: dev.gatewayUrl }, ...args);

  beforeAll(async () => {
    receiver = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        callbacks.push({ body, headers: request.headers });
        response.statusCode = 204;
        response.end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    run = launch(home, { PORT: String(await freePort()), CARRIER_SIM_ORDER_DELAY_MS: '300' });
    await untilReady(run, 120_000);
    dev = devCredentials(home);
  }, 150_000);

  afterAll(async () => {
    if (run && run.child.exitCode === null) {
      run.child.kill('SIGINT');
      await run.exited;
    }
    rmSync(home, { recursive: true, force: true });
    await new Promise((resolve) => receiver?.close(resolve));
  }, 60_000);

  it('buys a number, sends an SMS from it and sees it delivered, with its history and in the log', async () => {
    const pick = { phoneNumber: await buyNumberThroughGateway(api, dev.apiKey) };

    const key = randomUUID();
    const statusCallback = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/parley/status`;
    const message = {
      from: pick.phoneNumber,
      to: '+447911123456',
      body: 'Hello from Parley €',
      statusCallback,
    };
    const sent = await api('POST', '/v1/messages', dev.apiKey, message, { 'idempotency-key': key });
    expect(sent.status).toBe(202);
    expect(sent.body).toMatchObject({ ...message, status: 'queued', encoding: 'GSM-7', segments: 1 });
    const again = await api('POST', '/v1/messages', dev.apiKey, message, { 'idempotency-key': key });
    expect(again.body.id).toBe(sent.body.id);

    let current = sent.body;
    const deadline = Date.now() + 30_000;
    while (current.status !== 'delivered' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      current = (await api('GET', `/v1/messages/${String(sent.body.id)}`, dev.apiKey)).body;
    }
    expect(current.status).toBe('delivered');
    expect((current.history as { status: string }[]).map((change) => change.status)).toEqual([
      'queued',
      'sending',
      'sent',
      'delivered',
    ]);
    const log = await api(
      'GET',
      `/v1/messages?phoneNumber=${encodeURIComponent(pick.phoneNumber)}`,
      dev.apiKey,
    );
    expect((log.body.messages as { id: string }[]).map((entry) => entry.id)).toEqual([sent.body.id]);

    // The status callbacks: Standard Webhooks that the unchanged `standardwebhooks` library verifies with
    // the demo tenant's secret (npm start allows receivers on this machine), one per status change.
    const verifier = new Webhook(dev.webhookSecret.replace(/^whsec_/, ''));
    const callbackDeadline = Date.now() + 30_000;
    const delivered = () =>
      callbacks
        .map((callback) => verifier.verify(callback.body, callback.headers as Record<string, string>))
        .map((payload) => payload as { type: string; data: { id: string; status: string } })
        .find((payload) => payload.data.id === sent.body.id && payload.data.status === 'delivered');
    while (!delivered() && Date.now() < callbackDeadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(delivered()).toMatchObject({ data: { id: sent.body.id, status: 'delivered' } });
    const forged = { ...callbacks[0]!, body: `${callbacks[0]!.body} ` };
    expect(() => verifier.verify(forged.body, forged.headers as Record<string, string>)).toThrow();

    const refused = await api('POST', '/v1/messages', dev.apiKey, { ...message, from: '+14155550100' });
    expect({ status: refused.status, code: refused.body.code }).toEqual({
      status: 404,
      code: 'SENDER_NOT_FOUND',
    });
    const invalid = await api('POST', '/v1/messages', dev.apiKey, { ...message, to: '12345' });
    expect(invalid.status).toBe(400);
  }, 120_000);
});
