import { isCronExpression, isTimeOfDay, parseEnv, serviceEnv, z } from '@parley/kit';

const cron = z.string().refine((value) => isCronExpression(value), 'must be a five-field cron expression');
const address = z.string().regex(/^[A-Za-z0-9.-]+:\d{1,5}$/, 'must be host:port of a gRPC endpoint');

export const configSchema = serviceEnv({
  /** identity's gRPC endpoint: resolves subjects to every identifier the platform holds. */
  IDENTITY_ADDR: address,
  /** Every privacy participant, name=host:port, comma-separated (privacy itself included). */
  PRIVACY_PARTICIPANTS: z
    .string()
    .regex(
      /^[a-z]+=[A-Za-z0-9.-]+:\d{1,5}(,[a-z]+=[A-Za-z0-9.-]+:\d{1,5})*$/,
      'must be name=host:port,name=host:port,...',
    ),
  /** Secret (32+ characters) that encrypts export records and archives at rest. */
  PRIVACY_ARCHIVE_KEY: z.string().min(32, 'must be a random secret of at least 32 characters'),
  /** mailbox: keep notices in the database, readable through the dev API; smtp: send them. */
  NOTIFICATIONS: z.enum(['mailbox', 'smtp']).default('mailbox'),
  SMTP_URL: z.string().min(1).optional(),
  NOTIFICATION_FROM: z.string().min(3).default('privacy@localhost'),
  /** How long a verification code sent to a subject stays valid: minutes, at most an hour. */
  VERIFICATION_CODE_TTL_MINUTES: z.coerce.number().int().min(1).max(60).default(15),
  /** Requests one requester without privacy:write may file per UTC day (their own and others'). */
  PRIVACY_REQUESTS_PER_REQUESTER_PER_DAY: z.coerce.number().int().min(1).max(1000).default(10),
  /** Third-party requests (verification codes issued) about one subject per UTC day, held or not. */
  PRIVACY_CODES_PER_SUBJECT_PER_DAY: z.coerce.number().int().min(1).max(100).default(3),
  /** Code guesses per subject and per requester per UTC day, across requests and resubmissions. */
  VERIFICATION_ATTEMPTS_PER_DAY: z.coerce.number().int().min(1).max(100).default(10),
  ARCHIVE_LINK_TTL_MINUTES: z.coerce.number().int().min(1).max(10_080).default(1440),
  /**
   * When retention runs for every tenant each day, HH:MM in UTC (off: only when asked through the API).
   * A run missed while no replica was up is made up at start-up.
   */
  RETENTION_RUN_AT: z
    .string()
    .refine((value) => value === 'off' || isTimeOfDay(value), 'must be a time of day HH:MM (UTC) or off')
    .default('03:00'),
  /** Replaces RETENTION_RUN_AT with any five-field cron expression (UTC), e.g. weekly: `0 3 * * 1`. */
  RETENTION_CRON: cron.optional(),
  /** Base of the backoff (doubling, capped at an hour) while a participant is down during a run. */
  RETENTION_RETRY_DELAY_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),
  /** When deadlines are checked, a five-field cron expression in UTC (off: never). */
  DEADLINE_SCAN_CRON: z
    .string()
    .refine(
      (value) => value === 'off' || isCronExpression(value),
      'must be a five-field cron expression or off',
    )
    .default('* * * * *'),
}).superRefine((value, context) => {
  if (value.NOTIFICATIONS === 'smtp' && !value.SMTP_URL) {
    context.addIssue({ code: 'custom', path: ['SMTP_URL'], message: 'is required when NOTIFICATIONS=smtp' });
  }
});

export type Config = z.infer<typeof configSchema>;

export function loadConfig(env: Record<string, string | undefined>): Config {
  return parseEnv(configSchema, env);
}
