import { z } from 'zod';
import { whole } from '@parley/carrier-sim/src/config';

/** The simulator's environment (tools/payment-sim/README.md, "Configuration"). */
const envSchema = z.object({
  PAYMENT_SIM_HOST: z.string().min(1).default('127.0.0.1'),
  PAYMENT_SIM_PORT: whole(0, 65535).default(4020),
  PAYMENT_SIM_SECRET_KEY: z.string().min(16, 'must be at least 16 characters'),
  PAYMENT_SIM_PUBLISHABLE_KEY: z.string().min(16, 'must be at least 16 characters'),
  PAYMENT_SIM_WEBHOOK_SECRET: z.string().min(16, 'must be at least 16 characters'),
  PAYMENT_SIM_WEBHOOK_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  PAYMENT_SIM_WEBHOOK_MAX_ATTEMPTS: whole(1, 20).default(8),
  PAYMENT_SIM_WEBHOOK_RETRY_MS: whole(1, 600_000).default(500),
  PAYMENT_SIM_AUTHENTICATE_AFTER_MS: whole(0, 3_600_000).default(0),
  PAYMENT_SIM_ACTION_EXPIRES_AFTER_MS: whole(1, 7 * 86_400_000).default(86_400_000),
  PAYMENT_SIM_LATENCY_MS: whole(0, 60_000).default(0),
  PAYMENT_SIM_RATE_LIMIT_PER_SECOND: whole(0, 1_000_000).default(0),
});

export interface PaymentSimConfig {
  host: string;
  port: number;
  /** What the merchant's server authenticates with (charges, refunds). */
  secretKey: string;
  /** What the customer's browser authenticates with (tokenisation only). */
  publishableKey: string;
  webhookSecret: string;
  /** Where webhooks go (the merchant's endpoint); also settable with PUT /control/webhook-endpoint. */
  webhookUrl?: string;
  webhookMaxAttempts: number;
  webhookRetryMs: number;
  /** When above 0, a 3-D Secure challenge is passed by the "cardholder" on their own after this long. */
  authenticateAfterMs: number;
  /** A 3-D Secure challenge nobody answered fails (`authentication_expired`) after this long. */
  actionExpiresAfterMs: number;
  /** Added before every /v1 answer. */
  latencyMs: number;
  /** /v1 requests per second before 429 + Retry-After; 0 for no limit. */
  rateLimitPerSecond: number;
}

export class PaymentSimConfigError extends Error {}

/** Parses the environment; a bad value names its variable. */
export function loadPaymentSimConfig(env: Record<string, string | undefined>): PaymentSimConfig {
  const result = envSchema.safeParse(env);
  if (!result.success)
    throw new PaymentSimConfigError(
      `invalid configuration:\n${result.error.issues
        .map((issue) => `  ${issue.path.join('.')}: ${issue.message}`)
        .join('\n')}`,
    );
  const value = result.data;
  return {
    host: value.PAYMENT_SIM_HOST,
    port: value.PAYMENT_SIM_PORT,
    secretKey: value.PAYMENT_SIM_SECRET_KEY,
    publishableKey: value.PAYMENT_SIM_PUBLISHABLE_KEY,
    webhookSecret: value.PAYMENT_SIM_WEBHOOK_SECRET,
    webhookUrl: value.PAYMENT_SIM_WEBHOOK_URL,
    webhookMaxAttempts: value.PAYMENT_SIM_WEBHOOK_MAX_ATTEMPTS,
    webhookRetryMs: value.PAYMENT_SIM_WEBHOOK_RETRY_MS,
    authenticateAfterMs: value.PAYMENT_SIM_AUTHENTICATE_AFTER_MS,
    actionExpiresAfterMs: value.PAYMENT_SIM_ACTION_EXPIRES_AFTER_MS,
    latencyMs: value.PAYMENT_SIM_LATENCY_MS,
    rateLimitPerSecond: value.PAYMENT_SIM_RATE_LIMIT_PER_SECOND,
  };
}
