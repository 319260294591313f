import { randomBytes } from 'node:crypto';
import { spawnPaymentSim } from '@parley/payment-sim';

export interface PaymentSimHandle {
  url: string;
  secretKey: string;
  publishableKey: string;
  webhookSecret: string;
  /** PAYMENT_PROCESSOR* and PAYMENT_WEBHOOK_SECRET for billing. */
  billingEnv: Record<string, string>;
  /** Tokenises a card as the customer's browser would (publishable key): the token id. */
  tokenise(number: string, expiry?: { month: number; year: number }): Promise<string>;
  /** The cardholder answers a 3-D Secure challenge at `url` (a top-up's nextActionUrl). */
  authenticate(url: string, outcome: 'approve' | 'deny'): Promise<void>;
  /** Where webhooks go (billing's endpoint), or nowhere. */
  setWebhookEndpoint(url: string | null): Promise<void>;
  /** Keeps webhooks back until `releaseWebhooks`. */
  holdWebhooks(): Promise<void>;
  /** Sends held webhooks, in the order asked, each `copies` times. */
  releaseWebhooks(order: 'created' | 'reverse', copies: number): Promise<number>;
  /** The next `requests` API calls answer 429. */
  throttle(requests: number): Promise<void>;
  counters(): Promise<Record<string, number>>;
  stop(): Promise<void>;
}

/**
 * Spawns the payment simulator (tools/payment-sim) as its own process on a free loopback port with fresh
 * keys, and waits until it listens. `env` adds PAYMENT_SIM_* variables (latency, ...).
 */
export async function startPaymentSim(env: Record<string, string> = {}): Promise<PaymentSimHandle> {
  const secretKey = `sk_test_${randomBytes(18).toString('base64url')}`;
  const publishableKey = `pk_test_${randomBytes(18).toString('base64url')}`;
  const webhookSecret = `whsec_${randomBytes(18).toString('base64url')}`;
  const sim = await spawnPaymentSim({
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'test',
      PAYMENT_SIM_HOST: '127.0.0.1',
      PAYMENT_SIM_PORT: '0',
      PAYMENT_SIM_SECRET_KEY: secretKey,
      PAYMENT_SIM_PUBLISHABLE_KEY: publishableKey,
      PAYMENT_SIM_WEBHOOK_SECRET: webhookSecret,
      PAYMENT_SIM_WEBHOOK_RETRY_MS: '50',
      PAYMENT_SIM_WEBHOOK_MAX_ATTEMPTS: '20',
      ...env,
    },
  });
  const { url } = sim;
  const request = async (method: string, path: string, body: unknown, key = secretKey) => {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(5_000),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`payment-sim ${method} ${path}: ${response.status} ${text}`);
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  };
  return {
    url,
    secretKey,
    publishableKey,
    webhookSecret,
    billingEnv: {
      PAYMENT_PROCESSOR: 'payment-sim',
      PAYMENT_PROCESSOR_URL: url,
      PAYMENT_PROCESSOR_SECRET_KEY: secretKey,
      PAYMENT_WEBHOOK_SECRET: webhookSecret,
    },
    tokenise: async (number, expiry = { month: 12, year: 2099 }) =>
      String(
        (
          await request(
            'POST',
            '/v1/tokens',
            { card: { number, expMonth: expiry.month, expYear: expiry.year, cvc: '123' } },
            publishableKey,
          )
        ).id,
      ),
    authenticate: async (challengeUrl, outcome) => {
      const response = await fetch(challengeUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ outcome }),
      });
      if (!response.ok) throw new Error(`payment-sim authenticate: ${response.status}`);
    },
    setWebhookEndpoint: async (endpoint) => {
      await request('PUT', '/control/webhook-endpoint', { url: endpoint });
    },
    holdWebhooks: async () => {
      await request('POST', '/control/webhooks/hold', {});
    },
    releaseWebhooks: async (order, copies) =>
      Number((await request('POST', '/control/webhooks/release', { order, copies })).released),
    throttle: async (requests) => {
      await request('POST', '/control/throttle', { requests });
    },
    counters: async () =>
      (await request('GET', '/control/counters', undefined)).data as Record<string, number>,
    stop: () => sim.stop(),
  };
}
