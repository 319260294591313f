import { z } from 'zod';

/** A whole number in [min, max] from a string or number, one message for every way it can be wrong. */
export const whole = (min: number, max: number) =>
  z.coerce
    .number({ error: `must be a whole number from ${min} to ${max}` })
    .int({ error: `must be a whole number from ${min} to ${max}` })
    .min(min, { error: `must be a whole number from ${min} to ${max}` })
    .max(max, { error: `must be a whole number from ${min} to ${max}` });

/** The simulator's environment (tools/carrier-sim/README.md, "Configuration"). */
const envSchema = z.object({
  CARRIER_SIM_HOST: z.string().min(1).default('127.0.0.1'),
  CARRIER_SIM_PORT: whole(0, 65535).default(4010),
  CARRIER_SIM_API_KEY: z.string().min(16, 'must be at least 16 characters'),
  CARRIER_SIM_CALLBACK_SECRET: z.string().min(16, 'must be at least 16 characters'),
  CARRIER_SIM_ORDER_DELAY_MS: whole(0, 3_600_000).default(2_000),
  CARRIER_SIM_PORT_STEP_MS: whole(0, 86_400_000).default(10_000),
  CARRIER_SIM_HOLD_MS: whole(1, 3_600_000).default(120_000),
  CARRIER_SIM_NUMBERS_PER_RANGE: whole(1, 5_000).default(40),
  CARRIER_SIM_SEED: whole(0, 2 ** 31).default(0),
  CARRIER_SIM_CALLBACK_MAX_ATTEMPTS: whole(1, 20).default(5),
  CARRIER_SIM_CALLBACK_RETRY_MS: whole(1, 600_000).default(500),
  CARRIER_SIM_LATENCY_MS: whole(0, 60_000).default(0),
  CARRIER_SIM_RATE_LIMIT_PER_SECOND: whole(0, 1_000_000).default(0),
  CARRIER_SIM_SMPP_PORT: whole(0, 65535).default(2775),
  // SMPP 3.4 limits: system_id at most 15 characters, password at most 8 (section 5.2).
  CARRIER_SIM_SMPP_SYSTEM_ID: z
    .string()
    .regex(/^[\x21-\x7e]{1,15}$/, 'must be 1 to 15 printable ASCII characters')
    .default('parley'),
  CARRIER_SIM_SMPP_PASSWORD: z
    .string()
    .regex(/^[\x21-\x7e]{1,8}$/, 'must be 1 to 8 printable ASCII characters'),
  CARRIER_SIM_SMPP_LATENCY_MS: whole(0, 60_000).default(20),
  CARRIER_SIM_SMPP_MAX_TPS: whole(0, 1_000_000).default(200),
  CARRIER_SIM_SMPP_MAX_WINDOW: whole(1, 100_000).default(100),
  CARRIER_SIM_SMPP_RETRY_MS: whole(1, 600_000).default(2_000),
  CARRIER_SIM_DLR_DELAY_MS: whole(0, 3_600_000).default(500),
  CARRIER_SIM_DLR_SLOW_MS: whole(0, 86_400_000).default(30_000),
});

export interface SimConfig {
  host: string;
  port: number;
  apiKey: string;
  callbackSecret: string;
  orderDelayMs: number;
  portStepMs: number;
  /** How long a `…9992` request is held before a 504 (well past any client's timeout). */
  holdMs: number;
  numbersPerRange: number;
  seed: number;
  callbackMaxAttempts: number;
  callbackRetryDelayMs: number;
  /** Added before every /v1 answer, like a distant carrier. */
  latencyMs: number;
  /** /v1 requests per second before 429 + Retry-After; 0 for no limit. */
  rateLimitPerSecond: number;
  /** The SMSC (SMPP 3.4) on `host`: its port (0 for any free one) and the one ESME account it accepts. */
  smppPort: number;
  smppSystemId: string;
  smppPassword: string;
  /** Before every successful submit_sm_resp. */
  smppLatencyMs: number;
  /** submit_sm per second and bind before ESME_RTHROTTLED; 0 for no limit. */
  smppMaxTps: number;
  /** Unanswered submit_sm per session before ESME_RMSGQFUL (and the SMSC's own deliver_sm window). */
  smppMaxWindow: number;
  /** How long a deliver_sm waits for deliver_sm_resp before it is sent again (also the pause after an error). */
  smppRetryMs: number;
  /** From submit_sm_resp to the delivery receipt; `…9984` destinations wait `dlrSlowMs` instead. */
  dlrDelayMs: number;
  dlrSlowMs: number;
}

export class SimConfigError extends Error {}

/** Parses the environment; a bad value names its variable. */
export function loadSimConfig(env: Record<string, string | undefined>): SimConfig {
  const result = envSchema.safeParse(env);
  if (!result.success)
    throw new SimConfigError(
      `invalid configuration:\n${result.error.issues
        .map((issue) => `  ${issue.path.join('.')}: ${issue.message}`)
        .join('\n')}`,
    );
  const value = result.data;
  return {
    host: value.CARRIER_SIM_HOST,
    port: value.CARRIER_SIM_PORT,
    apiKey: value.CARRIER_SIM_API_KEY,
    callbackSecret: value.CARRIER_SIM_CALLBACK_SECRET,
    orderDelayMs: value.CARRIER_SIM_ORDER_DELAY_MS,
    portStepMs: value.CARRIER_SIM_PORT_STEP_MS,
    holdMs: value.CARRIER_SIM_HOLD_MS,
    numbersPerRange: value.CARRIER_SIM_NUMBERS_PER_RANGE,
    seed: value.CARRIER_SIM_SEED,
    callbackMaxAttempts: value.CARRIER_SIM_CALLBACK_MAX_ATTEMPTS,
    callbackRetryDelayMs: value.CARRIER_SIM_CALLBACK_RETRY_MS,
    latencyMs: value.CARRIER_SIM_LATENCY_MS,
    rateLimitPerSecond: value.CARRIER_SIM_RATE_LIMIT_PER_SECOND,
    smppPort: value.CARRIER_SIM_SMPP_PORT,
    smppSystemId: value.CARRIER_SIM_SMPP_SYSTEM_ID,
    smppPassword: value.CARRIER_SIM_SMPP_PASSWORD,
    smppLatencyMs: value.CARRIER_SIM_SMPP_LATENCY_MS,
    smppMaxTps: value.CARRIER_SIM_SMPP_MAX_TPS,
    smppMaxWindow: value.CARRIER_SIM_SMPP_MAX_WINDOW,
    smppRetryMs: value.CARRIER_SIM_SMPP_RETRY_MS,
    dlrDelayMs: value.CARRIER_SIM_DLR_DELAY_MS,
    dlrSlowMs: value.CARRIER_SIM_DLR_SLOW_MS,
  };
}
