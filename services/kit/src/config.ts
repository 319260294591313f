import { z } from 'zod';
import { internalTokenPrivateKeySchema, internalTokenPublicKeysSchema } from './auth/internalToken';

/** Thrown when the environment does not satisfy a service's schema; names every bad variable. */
export class ConfigError extends Error {
  constructor(readonly problems: { variable: string; message: string }[]) {
    super(
      `invalid configuration:\n${problems.map((problem) => `  ${problem.variable}: ${problem.message}`).join('\n')}`,
    );
    this.name = 'ConfigError';
  }
}

const logLevel = z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']);
const portMessage = 'must be a TCP port number (0-65535)';
const port = z.coerce
  .number({ error: portMessage })
  .int({ error: portMessage })
  .min(0, { error: portMessage })
  .max(65535, { error: portMessage });
const postgresUrl = z
  .string()
  .refine((value) => /^postgres(ql)?:\/\//.test(value), 'must be a postgres:// or postgresql:// URL');
const natsUrl = z
  .string()
  .refine(
    (value) => value.split(',').every((part) => /^(nats|tls|ws|wss):\/\/[^\s]+$/.test(part.trim())),
    'must be one or more comma-separated nats:// URLs',
  );

const positiveInt = (name: string) =>
  z.coerce.number({ error: `${name} must be a whole number` }).int({ error: 'must be a whole number' });
const backoffList = z
  .string()
  .refine(
    (value) => value.split(',').every((part) => /^\d+$/.test(part.trim()) && Number(part) >= 100),
    'must be a comma-separated list of milliseconds, each at least 100 (e.g. 1000,5000,30000)',
  )
  .transform((value) => value.split(',').map((part) => Number(part.trim())));

/** Variables every service reads. */
export const serviceEnvShape = {
  LOG_LEVEL: logLevel.default('info'),
  GRPC_HOST: z.string().min(1).default('0.0.0.0'),
  GRPC_PORT: port.default(50051),
  METRICS_PORT: port.default(9464),
  DATABASE_URL: postgresUrl,
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
  MIGRATIONS: z.enum(['apply', 'verify']).default('apply'),
  NATS_URL: natsUrl,
  NATS_CREDS_FILE: z.string().min(1).optional(),
  /** The service's own NATS user and password (instead of a creds file), e.g. `npm start` and dev clusters. */
  NATS_USER: z.string().min(1).optional(),
  NATS_PASSWORD: z.string().min(1).optional(),
  NATS_PREFIX: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]*$/, 'must be lowercase letters, digits and hyphens')
    .optional(),
  /** Replicas of the service's own JetStream stream (1, 3 or 5 in a cluster). */
  NATS_STREAM_REPLICAS: positiveInt('NATS_STREAM_REPLICAS').min(1).max(5).default(1),
  /** How long the service's stream keeps events (hours). Inbox rows are kept twice as long plus two days. */
  NATS_STREAM_MAX_AGE_HOURS: positiveInt('NATS_STREAM_MAX_AGE_HOURS')
    .min(1)
    .max(24 * 365)
    .default(168),
  /** Size limit of the service's stream in bytes; -1 for none (then max age alone limits it). */
  NATS_STREAM_MAX_BYTES: positiveInt('NATS_STREAM_MAX_BYTES')
    .min(-1)
    .refine((value) => value !== 0, 'must be -1 (no limit) or a positive number of bytes')
    .default(-1),
  /** Deliveries of one event before a consumer parks it as RETRIES_EXHAUSTED (must exceed the backoff steps). */
  EVENT_MAX_DELIVER: positiveInt('EVENT_MAX_DELIVER').min(2).max(10_000).default(200),
  /** Server-side redelivery delays after a transient failure, in ms; the last one repeats. */
  EVENT_BACKOFF_MS: backoffList.default([5_000, 15_000, 60_000, 300_000, 600_000]),
  /** Events a consumer applies at once (different aggregates in parallel, one aggregate in order). */
  EVENT_CONCURRENCY: positiveInt('EVENT_CONCURRENCY').min(1).max(256).default(8),
  /** How long a consumer waits for a missing earlier event of an aggregate before applying a later one. */
  EVENT_ORDER_WAIT_MS: positiveInt('EVENT_ORDER_WAIT_MS').min(1_000).default(600_000),
  /** Publish attempts refused for good (too large, not allowed) before an outbox row is parked. */
  OUTBOX_MAX_ATTEMPTS: positiveInt('OUTBOX_MAX_ATTEMPTS').min(1).max(100).default(5),
  /** Days a parked event or outbox row is kept before it is purged (it may hold personal data). */
  DEAD_LETTER_RETENTION_DAYS: positiveInt('DEAD_LETTER_RETENTION_DAYS').min(1).max(365).default(14),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional(),
  TENANCY_MODE: z.enum(['pooled', 'dedicated']).default('pooled'),
  TENANT_ID: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{1,62}$/, 'must be a tenant slug')
    .optional(),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).default(10_000),
  /** The schema of the service's database that holds the job queue's tables (services/kit/JOBS.md). */
  JOBS_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lowercase PostgreSQL schema name')
    .default('pgboss'),
  /** This service's own Ed25519 private key for the internal caller tokens it signs (PEM or JWK JSON). */
  INTERNAL_TOKEN_PRIVATE_KEY: internalTokenPrivateKeySchema,
  /** Every service's public key, as a JWKS whose `kid` names the service; the gateway's is required. */
  INTERNAL_TOKEN_PUBLIC_KEYS: internalTokenPublicKeysSchema,
  /**
   * The key subject identifiers are hashed with (tombstones, restrictions, consents, legal holds): a
   * secret of its own, the same in every service. See services/kit/PRIVACY.md for rotating it.
   */
  SUBJECT_HASH_KEY: z
    .string()
    .min(32, 'must be a random secret of at least 32 characters, the same in every service'),
  /** Keys SUBJECT_HASH_KEY replaced, newest first, comma-separated: stored hashes are matched under them too. */
  SUBJECT_HASH_KEYS_PREVIOUS: z
    .string()
    .transform((value) =>
      value
        .split(',')
        .map((key) => key.trim())
        .filter((key) => key !== ''),
    )
    .refine(
      (keys) => keys.every((key) => key.length >= 32),
      'must be comma-separated keys of at least 32 characters each (the keys SUBJECT_HASH_KEY replaced)',
    )
    .default([]),
};

/** A service's environment schema: the shared variables plus its own. */
export function serviceEnv<Extra extends z.ZodRawShape>(extra: Extra) {
  return z.object({ ...serviceEnvShape, ...extra }).superRefine((value, context) => {
    const shared = value as {
      TENANCY_MODE?: string;
      TENANT_ID?: string;
      NATS_USER?: string;
      NATS_PASSWORD?: string;
      NATS_CREDS_FILE?: string;
      EVENT_MAX_DELIVER?: number;
      EVENT_BACKOFF_MS?: number[];
    };
    if (Boolean(shared.NATS_USER) !== Boolean(shared.NATS_PASSWORD)) {
      context.addIssue({
        code: 'custom',
        path: [shared.NATS_USER ? 'NATS_PASSWORD' : 'NATS_USER'],
        message: 'is required when the other of NATS_USER and NATS_PASSWORD is set',
      });
    }
    if (shared.NATS_USER && shared.NATS_CREDS_FILE) {
      context.addIssue({
        code: 'custom',
        path: ['NATS_CREDS_FILE'],
        message: 'cannot be set together with NATS_USER; choose a creds file or a user and password',
      });
    }
    if (
      shared.EVENT_MAX_DELIVER !== undefined &&
      shared.EVENT_BACKOFF_MS !== undefined &&
      shared.EVENT_MAX_DELIVER <= shared.EVENT_BACKOFF_MS.length
    ) {
      context.addIssue({
        code: 'custom',
        path: ['EVENT_MAX_DELIVER'],
        message: 'must be greater than the number of EVENT_BACKOFF_MS steps',
      });
    }
    if (shared.TENANCY_MODE === 'dedicated' && !shared.TENANT_ID) {
      context.addIssue({
        code: 'custom',
        path: ['TENANT_ID'],
        message: 'is required when TENANCY_MODE=dedicated',
      });
    }
  });
}

export const serviceEnvSchema = serviceEnv({});
export type ServiceEnv = z.infer<typeof serviceEnvSchema>;

/**
 * Parses the environment once. Empty strings count as unset, so `FOO=` in an env file falls back to the
 * default instead of failing in a confusing way.
 */
export function parseEnv<Schema extends z.ZodType>(
  schema: Schema,
  env: Record<string, string | undefined>,
): z.infer<Schema> {
  const cleaned = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  );
  const result = schema.safeParse(cleaned);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => ({
    variable: issue.path.length > 0 ? String(issue.path[0]) : '(environment)',
    message:
      cleaned[String(issue.path[0])] === undefined && issue.code === 'invalid_type'
        ? 'is required'
        : issue.message,
  }));
  throw new ConfigError(problems);
}

export { z };
