// Issue 11 through the gateway of `npm start`, with the demo credentials: buy a number, send an SMS from it,
// and watch it reach `delivered` through the carrier simulator's SMSC over SMPP; a handset's STOP (sent at
// the simulator's SMSC) makes a send to it answer RECIPIENT_OPTED_OUT until its START. Everything runs as
// real processes: the launcher, every service and the carrier simulator (one platform for both, to keep
// the suite short).
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
  const bought = new Set<string>();

  /** A mobile-originated message, injected at the simulator's SMSC (tools/carrier-sim README, "SMSC"). */
  const handsetSends = async (from: string, to: string, text: string) => {
    const simulator = dev.carrierSimulator!;
    const response = await fetch(`${simulator.url}/smsc/inbound`, {
      method: 'POST',
      headers: { authorization: `Bearer ${simulator.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ from, to, text }),
    });
    expect(response.status).toBe(202);
  };
  /** The messages of the tenant's log to or from `phone`. */
  const logOf = async (phone: string) =>
    (await api('GET', `/v1/messages?phoneNumber=${encodeURIComponent(phone)}`, dev.apiKey)).body.messages as {
      direction: string;
      body: string;
      status: string;
    }[];
  const until = async (what: string, check: () => Promise<boolean>) => {
    const deadline = Date.now() + 30_000;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`${what}: not within 30 s`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  };

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
    const pick = { phoneNumber: await buyNumberThroughGateway(api, dev.apiKey, bought) };
    bought.add(pick.phoneNumber);

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

  it('after STOP a send to the handset is refused with 422 RECIPIENT_OPTED_OUT; after START it is accepted', async () => {
    const number = await buyNumberThroughGateway(api, dev.apiKey, bought);
    bought.add(number);
    const handset = '+447911654321';
    await handsetSends(handset, number, 'STOP');
    await until('the STOP and its confirmation in the log', async () => {
      const log = await logOf(handset);
      return (
        log.some((m) => m.direction === 'inbound' && m.body === 'STOP') &&
        log.some((m) => m.direction === 'outbound')
      );
    });

    const refused = await api('POST', '/v1/messages', dev.apiKey, {
      from: number,
      to: handset,
      body: 'Sale!',
    });
    expect({ status: refused.status, code: refused.body.code }).toEqual({
      status: 422,
      code: 'RECIPIENT_OPTED_OUT',
    });
    expect((await logOf(handset)).filter((m) => m.body === 'Sale!')).toEqual([]);

    await handsetSends(handset, number, 'start');
    await until('the START in the log', async () =>
      (await logOf(handset)).some((m) => m.direction === 'inbound' && m.body === 'start'),
    );
    const accepted = await api('POST', '/v1/messages', dev.apiKey, {
      from: number,
      to: handset,
      body: 'Welcome back',
    });
    expect({ status: accepted.status, state: accepted.body.status }).toEqual({
      status: 202,
      state: 'queued',
    });
  }, 120_000);
});
