import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { verifyPaymentWebhook } from '@parley/kit/src/payments/webhookSignature';
import { spawnPaymentSim, type SpawnedPaymentSim } from '../src/spawn';
import { startReceiver } from './receiver';

const env = {
  PATH: process.env.PATH,
  PAYMENT_SIM_PORT: '0',
  PAYMENT_SIM_SECRET_KEY: 'sk_test_process_0123456789',
  PAYMENT_SIM_PUBLISHABLE_KEY: 'pk_test_process_0123456789',
  PAYMENT_SIM_WEBHOOK_SECRET: 'whsec_process_0123456789',
};

describe('payment-sim as its own process', () => {
  let sim: SpawnedPaymentSim;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  beforeAll(async () => {
    receiver = await startReceiver();
    sim = await spawnPaymentSim({ env: { ...env, PAYMENT_SIM_WEBHOOK_URL: receiver.url } });
  });

  afterAll(async () => {
    await sim?.stop();
    await receiver?.close();
  });

  it('refuses to start on a bad variable, naming it', async () => {
    await expect(spawnPaymentSim({ env: { ...env, PAYMENT_SIM_WEBHOOK_SECRET: 'short' } })).rejects.toThrow(
      /PAYMENT_SIM_WEBHOOK_SECRET/,
    );
  });

  it('tokenises, charges with 3-D Secure confirmed later, and posts signed webhooks', async () => {
    const tokenAnswer = await fetch(`${sim.url}/v1/tokens`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${env.PAYMENT_SIM_PUBLISHABLE_KEY}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ card: { number: '4000002500003155', expMonth: 1, expYear: 2090, cvc: '999' } }),
    });
    const token = (await tokenAnswer.json()) as { id: string; card: { last4: string } };
    expect(token.card.last4).toBe('3155');
    const chargeAnswer = await fetch(`${sim.url}/v1/charges`, {
      method: 'POST',
      headers: { authorization: `Bearer ${env.PAYMENT_SIM_SECRET_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ amount: 5000, currency: 'eur', token: token.id }),
    });
    const charge = (await chargeAnswer.json()) as { id: string; status: string; nextAction: { url: string } };
    expect(charge.status).toBe('requires_action');
    await fetch(charge.nextAction.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ outcome: 'approve' }),
    });
    const received = await receiver.waitFor(2);
    const types = received.map(({ body }) => (JSON.parse(body) as { type: string }).type);
    expect(types.sort()).toEqual(['charge.requires_action', 'charge.succeeded']);
    for (const { body, signature } of received)
      expect(verifyPaymentWebhook({ secret: env.PAYMENT_SIM_WEBHOOK_SECRET, body, header: signature })).toBe(
        true,
      );
  });

  it('stops on SIGTERM', async () => {
    await sim.stop();
    expect(sim.child.exitCode).toBe(0);
  });
});
