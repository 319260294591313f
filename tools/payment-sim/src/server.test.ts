import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { verifyPaymentWebhook } from '@parley/kit/src/payments/webhookSignature';
import { loadPaymentSimConfig } from './config';
import { startPaymentSim, type PaymentSim } from './server';
import { startReceiver } from '../test/receiver';
import type { Charge } from './processor';
import type { WebhookEvent } from './webhooks';

const SECRET_KEY = 'sk_test_0123456789abcdef';
const PUBLISHABLE_KEY = 'pk_test_0123456789abcdef';
const WEBHOOK_SECRET = 'whsec_0123456789abcdef';

describe('payment simulator', () => {
  let sim: PaymentSim;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  async function call(
    method: string,
    path: string,
    body?: unknown,
    options: { key?: string; headers?: Record<string, string> } = {},
  ): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
    const response = await fetch(`${sim.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${options.key ?? SECRET_KEY}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...options.headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return {
      status: response.status,
      body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
      headers: response.headers,
    };
  }

  async function token(number: string): Promise<string> {
    const answer = await call(
      'POST',
      '/v1/tokens',
      { card: { number, expMonth: 12, expYear: 2099, cvc: '123' } },
      { key: PUBLISHABLE_KEY },
    );
    expect(answer.status).toBe(201);
    return String(answer.body.id);
  }

  const events = () => receiver.received.map(({ body }) => JSON.parse(body) as WebhookEvent);

  beforeAll(async () => {
    receiver = await startReceiver();
    sim = await startPaymentSim(
      loadPaymentSimConfig({
        PAYMENT_SIM_PORT: '0',
        PAYMENT_SIM_SECRET_KEY: SECRET_KEY,
        PAYMENT_SIM_PUBLISHABLE_KEY: PUBLISHABLE_KEY,
        PAYMENT_SIM_WEBHOOK_SECRET: WEBHOOK_SECRET,
        PAYMENT_SIM_WEBHOOK_URL: receiver.url,
        PAYMENT_SIM_WEBHOOK_RETRY_MS: '5',
      }),
    );
  });

  afterAll(async () => {
    await sim?.stop();
    await receiver?.close();
  });

  afterEach(() => {
    receiver.received.splice(0);
  });

  describe('configuration', () => {
    it('names the variable that is wrong', () => {
      expect(() => loadPaymentSimConfig({ PAYMENT_SIM_SECRET_KEY: 'short' })).toThrow(
        /PAYMENT_SIM_SECRET_KEY/,
      );
    });
  });

  describe('POST /v1/tokens', () => {
    it('keeps the card and answers a token with brand, last four digits and expiry only', async () => {
      const answer = await call(
        'POST',
        '/v1/tokens',
        { card: { number: '4242 4242 4242 4242', expMonth: 3, expYear: 2099, cvc: '123' } },
        { key: PUBLISHABLE_KEY },
      );
      expect(answer.status).toBe(201);
      expect(answer.body).toMatchObject({
        id: expect.stringMatching(/^tok_/),
        card: { brand: 'visa', last4: '4242', expMonth: 3, expYear: 2099 },
      });
      expect(JSON.stringify(answer.body)).not.toContain('42424242');
      expect(answer.headers.get('access-control-allow-origin')).toBe('*');
    });

    it.each([
      ['a number failing Luhn', '4242424242424241', 12, 2099, 'incorrect_number'],
      ['an expired card', '4242424242424242', 1, 2020, 'expired_card'],
    ])('refuses %s with 402', async (_what, number, expMonth, expYear, code) => {
      const answer = await call(
        'POST',
        '/v1/tokens',
        { card: { number, expMonth, expYear, cvc: '123' } },
        { key: PUBLISHABLE_KEY },
      );
      expect(answer.status).toBe(402);
      expect(answer.body).toMatchObject({ error: { code } });
    });

    it('takes the publishable key only: the secret key belongs on the server', async () => {
      expect((await call('POST', '/v1/tokens', { card: {} }, { key: SECRET_KEY })).status).toBe(401);
      expect((await call('POST', '/v1/charges', {}, { key: PUBLISHABLE_KEY })).status).toBe(401);
    });
  });

  describe('DELETE /v1/tokens/{id}', () => {
    it('forgets the card: it can no longer be read nor charged, and a second detach is 404', async () => {
      const tokenId = await token('4242424242424242');
      const detached = await call('DELETE', `/v1/tokens/${tokenId}`);
      expect(detached).toMatchObject({ status: 200, body: { id: tokenId, deleted: true } });
      expect((await call('GET', `/v1/tokens/${tokenId}`)).status).toBe(404);
      const charge = await call('POST', '/v1/charges', {
        amount: 100,
        currency: 'usd',
        token: tokenId,
        metadata: {},
      });
      expect(charge.status).toBe(404);
      expect((await call('DELETE', `/v1/tokens/${tokenId}`)).status).toBe(404);
    });
  });

  describe('POST /v1/charges', () => {
    it('charges a good card and sends a signed charge.succeeded webhook', async () => {
      const answer = await call('POST', '/v1/charges', {
        amount: 2500,
        currency: 'usd',
        token: await token('5555555555554444'),
        metadata: { topUp: 'tu_1' },
      });
      expect(answer.status).toBe(201);
      expect(answer.body).toMatchObject({ status: 'succeeded', amount: 2500, amountRefunded: 0 });
      const [delivered] = await receiver.waitFor(1);
      expect(
        verifyPaymentWebhook({ secret: WEBHOOK_SECRET, body: delivered!.body, header: delivered!.signature }),
      ).toBe(true);
      expect(events()[0]).toMatchObject({
        type: 'charge.succeeded',
        data: { object: { id: answer.body.id, metadata: { topUp: 'tu_1' } } },
      });
    });

    it.each([
      ['4000000000000002', 'generic_decline'],
      ['4000000000009995', 'insufficient_funds'],
      ['4000000000000069', 'expired_card'],
      ['4000000000000127', 'incorrect_cvc'],
      ['4000000000000119', 'processing_error'],
    ])('declines %s with 402 and the reason %s, and says so by webhook', async (number, declineCode) => {
      const answer = await call('POST', '/v1/charges', {
        amount: 100,
        currency: 'usd',
        token: await token(number),
      });
      expect(answer.status).toBe(402);
      expect(answer.body).toMatchObject({
        error: { code: 'card_declined', declineCode, charge: { status: 'failed', failureCode: declineCode } },
      });
      await receiver.waitFor(1);
      expect(events()[0]).toMatchObject({ type: 'charge.failed' });
    });

    it("finds a merchant's charges by a metadata value, and refuses any other search", async () => {
      const tok = await token('4242424242424242');
      const made = await call('POST', '/v1/charges', {
        amount: 700,
        currency: 'usd',
        token: tok,
        metadata: { topUpId: 'tu_search' },
      });
      await call('POST', '/v1/charges', {
        amount: 800,
        currency: 'usd',
        token: tok,
        metadata: { topUpId: 'tu_x' },
      });
      const found = await call(
        'GET',
        `/v1/charges/search?query=${encodeURIComponent("metadata['topUpId']:'tu_search'")}`,
      );
      expect(found.status).toBe(200);
      expect(found.body).toMatchObject({ data: [{ id: made.body.id, amount: 700, status: 'succeeded' }] });
      expect((found.body as { data: unknown[] }).data).toHaveLength(1);
      const none = await call(
        'GET',
        `/v1/charges/search?query=${encodeURIComponent("metadata['topUpId']:'tu_none'")}`,
      );
      expect(none.body).toMatchObject({ data: [] });
      const bad = await call('GET', `/v1/charges/search?query=${encodeURIComponent('amount>5')}`);
      expect(bad).toMatchObject({
        status: 400,
        body: { error: { code: 'invalid_search_query', field: 'query' } },
      });
    });

    it('charges once for one Idempotency-Key, replays the answer, and refuses the key for another body', async () => {
      const tok = await token('4242424242424242');
      const before = sim.tally.get('chargesCreated');
      const first = await call(
        'POST',
        '/v1/charges',
        { amount: 700, currency: 'usd', token: tok },
        { headers: { 'idempotency-key': 'k1' } },
      );
      const again = await call(
        'POST',
        '/v1/charges',
        { amount: 700, currency: 'usd', token: tok },
        { headers: { 'idempotency-key': 'k1' } },
      );
      expect(again.body.id).toBe(first.body.id);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(sim.tally.get('chargesCreated') - before).toBe(1);
      const other = await call(
        'POST',
        '/v1/charges',
        { amount: 701, currency: 'usd', token: tok },
        { headers: { 'idempotency-key': 'k1' } },
      );
      expect(other.status).toBe(400);
      expect(other.body).toMatchObject({ error: { code: 'idempotency_key_reused' } });
    });

    it('refuses an unknown token and bad input naming the field', async () => {
      const unknown = await call('POST', '/v1/charges', { amount: 1, currency: 'usd', token: 'tok_nope' });
      expect(unknown.status).toBe(404);
      const bad = await call('POST', '/v1/charges', { amount: -1, currency: 'usd', token: 'tok_nope' });
      expect(bad.status).toBe(400);
      expect(bad.body).toMatchObject({ error: { field: 'amount' } });
    });
  });

  describe('3-D Secure', () => {
    it('holds the charge in requires_action until the cardholder approves, then it succeeds', async () => {
      const answer = await call('POST', '/v1/charges', {
        amount: 900,
        currency: 'usd',
        token: await token('4000002500003155'),
      });
      expect(answer.status).toBe(201);
      const charge = answer.body as unknown as Charge;
      expect(charge.status).toBe('requires_action');
      expect(charge.nextAction?.url).toMatch(/\/authenticate\/ch_/);
      const approved = await fetch(charge.nextAction!.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ outcome: 'approve' }),
      });
      expect(approved.status).toBe(200);
      expect((await call('GET', `/v1/charges/${charge.id}`)).body.status).toBe('succeeded');
      await receiver.waitFor(2);
      expect(
        events()
          .map((event) => event.type)
          .sort(),
      ).toEqual(['charge.requires_action', 'charge.succeeded']);
      // Once settled, the challenge cannot be answered again.
      const twice = await fetch(charge.nextAction!.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ outcome: 'deny' }),
      });
      expect(twice.status).toBe(409);
    });

    it.each([
      ['the cardholder refuses', '4000002500003155', 'deny', 'authentication_failed'],
      ['the issuer declines after authentication', '4000008400001629', 'approve', 'generic_decline'],
    ])('fails when %s', async (_what, number, outcome, failureCode) => {
      const charge = (
        await call('POST', '/v1/charges', { amount: 900, currency: 'usd', token: await token(number) })
      ).body as unknown as Charge;
      await fetch(charge.nextAction!.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ outcome }),
      });
      expect((await call('GET', `/v1/charges/${charge.id}`)).body).toMatchObject({
        status: 'failed',
        failureCode,
      });
    });
  });

  describe('POST /v1/refunds', () => {
    it('refunds in part, then the rest, and no more', async () => {
      const charge = (
        await call('POST', '/v1/charges', {
          amount: 1000,
          currency: 'usd',
          token: await token('4242424242424242'),
        })
      ).body as unknown as Charge;
      const part = await call('POST', '/v1/refunds', { charge: charge.id, amount: 300 });
      expect(part.status).toBe(201);
      expect(part.body).toMatchObject({ amount: 300, status: 'succeeded' });
      const rest = await call('POST', '/v1/refunds', { charge: charge.id });
      expect(rest.body).toMatchObject({ amount: 700 });
      expect((await call('GET', `/v1/charges/${charge.id}`)).body).toMatchObject({
        amountRefunded: 1000,
        refunded: true,
      });
      const more = await call('POST', '/v1/refunds', { charge: charge.id, amount: 1 });
      expect(more.status).toBe(422);
      expect(more.body).toMatchObject({ error: { code: 'amount_too_large' } });
    });

    it('refuses to refund a charge that did not succeed', async () => {
      const declined = await call('POST', '/v1/charges', {
        amount: 100,
        currency: 'usd',
        token: await token('4000000000000002'),
      });
      const charge = (declined.body.error as { charge: Charge }).charge;
      expect((await call('POST', '/v1/refunds', { charge: charge.id })).status).toBe(409);
    });
  });

  describe('webhooks that come twice and out of order', () => {
    const about = (chargeId: string) =>
      events().filter((event) => (event.data.object as { id: string }).id === chargeId);
    const until = async (done: () => boolean) => {
      while (!done()) await receiver.waitFor(receiver.received.length + 1);
    };

    it('sends held events in reverse order, each twice, signed', async () => {
      await call('POST', '/control/webhooks/hold', {});
      const charge = (
        await call('POST', '/v1/charges', {
          amount: 400,
          currency: 'usd',
          token: await token('4242424242424242'),
        })
      ).body as unknown as Charge;
      await call('POST', '/v1/refunds', { charge: charge.id, amount: 100 });
      const released = await call('POST', '/control/webhooks/release', { order: 'reverse', copies: 2 });
      expect(released.body).toEqual({ released: 2 });
      await until(() => about(charge.id).length === 4);
      const delivered = about(charge.id);
      expect(new Set(delivered.map((event) => event.id)).size).toBe(2);
      // Both refund copies are posted before either charge copy.
      expect(delivered.map((event) => event.type).slice(0, 2)).toEqual([
        'charge.refunded',
        'charge.refunded',
      ]);
      for (const { body, signature } of receiver.received)
        expect(verifyPaymentWebhook({ secret: WEBHOOK_SECRET, body, header: signature })).toBe(true);
    });

    it('retries an endpoint that fails until it answers 2xx', async () => {
      receiver.answer(500);
      const before = sim.tally.get('webhookRetries');
      const charge = (
        await call('POST', '/v1/charges', {
          amount: 100,
          currency: 'usd',
          token: await token('4242424242424242'),
        })
      ).body as unknown as Charge;
      while (sim.tally.get('webhookRetries') - before < 2) await new Promise((wake) => setTimeout(wake, 5));
      expect(about(charge.id)).toHaveLength(0);
      receiver.answer(200);
      await until(() => about(charge.id).length === 1);
      expect(about(charge.id)[0]!.type).toBe('charge.succeeded');
    });
  });

  describe('throttling', () => {
    it('answers 429 with Retry-After while throttled, then serves again', async () => {
      await call('POST', '/control/throttle', { requests: 1 });
      const refused = await call('GET', '/v1/events');
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toBe('1');
      expect((await call('GET', '/v1/events')).status).toBe(200);
    });
  });
});
