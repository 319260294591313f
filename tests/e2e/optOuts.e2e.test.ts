// Issue 11's opt-outs through the gateway of `npm start`: a handset sends STOP to a tenant's number (the
// carrier simulator's SMSC delivers it over SMPP), and a send to that handset is then answered with the
// RECIPIENT_OPTED_OUT problem; after START it goes through. Everything runs as real processes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { freePort } from '../../tools/dev/src/ports';
import { buyNumberThroughGateway } from '../support/gatewayNumbers';
import { gatewayCall, type CallArgs } from '../support/http';
import { devCredentials, launch, untilReady, type Launch } from '../support/launcher';

const home = mkdtempSync(join(tmpdir(), 'parley-e2e-opt-outs-'));

describe('opt-outs through the gateway (npm start, demo credentials)', () => {
  let run: Launch;
  let dev: ReturnType<typeof devCredentials>;
  let simulator: { url: string; apiKey: string };

  const api = (...args: CallArgs) => gatewayCall({ baseUrl: dev.gatewayUrl }, ...args);
  /** A mobile-originated message, injected at the simulator's SMSC (tools/carrier-sim README, "SMSC"). */
  const handsetSends = async (from: string, to: string, text: string) => {
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
    run = launch(home, { PORT: String(await freePort()), CARRIER_SIM_ORDER_DELAY_MS: '300' });
    await untilReady(run, 120_000);
    dev = devCredentials(home);
    // dev.json names this run's carrier simulator (its URL and API key).
    simulator = dev.carrierSimulator!;
  }, 150_000);

  afterAll(async () => {
    if (run && run.child.exitCode === null) {
      run.child.kill('SIGINT');
      await run.exited;
    }
    rmSync(home, { recursive: true, force: true });
  }, 60_000);

  it('after STOP a send to the handset is refused with 422 RECIPIENT_OPTED_OUT; after START it is accepted', async () => {
    const number = await buyNumberThroughGateway(api, dev.apiKey);
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
