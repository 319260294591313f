import { parseEnv, serviceEnv, z } from '@parley/kit';

const number = (what: string, min: number, max: number) =>
  z.coerce
    .number({ error: `must be ${what} from ${min} to ${max}` })
    .min(min, { error: `must be ${what} from ${min} to ${max}` })
    .max(max, { error: `must be ${what} from ${min} to ${max}` });

/** The shared service variables and the messaging service's own. */
export const configSchema = serviceEnv({
  /**
   * How long a failing webhook delivery is retried (from when it was queued or retried by hand) before it
   * is parked as failed: default 24 hours, at most a week. Fractions are allowed (tests use seconds).
   */
  WEBHOOK_RETRY_HOURS: number('a number of hours', 0.001, 168).default(24),
  /** The delay after a delivery's first failed attempt, doubling after each further one (with jitter). */
  WEBHOOK_RETRY_BASE_SECONDS: number('a number of seconds', 0.1, 3600).default(5),
  /** The longest delay between two attempts. */
  WEBHOOK_RETRY_MAX_SECONDS: number('a number of seconds', 1, 86_400).default(3600),
  /** The deadline of one attempt (connecting and the receiver's answer). */
  WEBHOOK_TIMEOUT_MS: number('a whole number of milliseconds', 100, 60_000).int().default(10_000),
  /**
   * How long a finished delivery (delivered, parked as failed, or disabled) is kept, with its payload, before
   * it is deleted: default 30 days. Pending deliveries are never deleted.
   */
  WEBHOOK_RETENTION_DAYS: number('a whole number of days', 1, 3650).int().default(30),
  /** How many deliveries one replica attempts at once. */
  WEBHOOK_CONCURRENCY: number('a whole number', 1, 100).int().default(8),
  /**
   * Allow webhook URLs on loopback, private and link-local addresses. Only for dev mode (`npm start` sets
   * it), where receivers run on the same machine; never in production (server-side request forgery).
   */
  WEBHOOK_ALLOW_PRIVATE: z
    .enum(['true', 'false'], { error: 'must be true or false' })
    .default('false')
    .transform((value) => value === 'true'),
});

export type Config = z.infer<typeof configSchema>;

export function loadConfig(env: Record<string, string | undefined>): Config {
  return parseEnv(configSchema, env);
}
