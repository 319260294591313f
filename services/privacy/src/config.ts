import { parseEnv, serviceEnv, z } from '@parley/kit';

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
  VERIFICATION_CODE_TTL_MINUTES: z.coerce.number().int().min(1).max(1440).default(15),
  ARCHIVE_LINK_TTL_MINUTES: z.coerce.number().int().min(1).max(10_080).default(1440),
  /** How often deadlines are checked (0: never). */
  DEADLINE_SCAN_INTERVAL_MS: z.coerce.number().int().min(0).default(60_000),
  /** How often retention runs for every tenant (0: only when asked through the API). */
  RETENTION_INTERVAL_MS: z.coerce.number().int().min(0).default(86_400_000),
}).superRefine((value, context) => {
  if (value.NOTIFICATIONS === 'smtp' && !value.SMTP_URL) {
    context.addIssue({ code: 'custom', path: ['SMTP_URL'], message: 'is required when NOTIFICATIONS=smtp' });
  }
});

export type Config = z.infer<typeof configSchema>;

export function loadConfig(env: Record<string, string | undefined>): Config {
  return parseEnv(configSchema, env);
}
