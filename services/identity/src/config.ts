import { parseEnv, serviceEnv, z } from '@parley/kit';

export const configSchema = serviceEnv({
  /**
   * The pepper API keys are hashed with (HMAC-SHA-256): a secret of its own, never stored in the database.
   * Changing it invalidates every key issued since keyed hashes were introduced.
   */
  API_KEY_PEPPER: z.string().min(32, 'must be a random secret of at least 32 characters'),
  /** keycloak: provision in and trust a Keycloak server; embedded: the built-in stand-in (npm start, tests). */
  IDENTITY_PROVIDER: z.enum(['keycloak', 'embedded']).default('embedded'),
  KEYCLOAK_URL: z.url().optional(),
  /** The realm pooled tenants share. */
  KEYCLOAK_REALM: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]*$/, 'must be a realm name (lowercase letters, digits, hyphens)')
    .default('parley'),
  KEYCLOAK_ADMIN_CLIENT_ID: z.string().min(1).optional(),
  KEYCLOAK_ADMIN_CLIENT_SECRET: z.string().min(1).optional(),
  KEYCLOAK_ADMIN_USERNAME: z.string().min(1).optional(),
  KEYCLOAK_ADMIN_PASSWORD: z.string().min(1).optional(),
  /** Where the embedded provider's issuer listens, and the URL tokens name as issuer. */
  EMBEDDED_IDP_HOST: z.string().min(1).default('127.0.0.1'),
  EMBEDDED_IDP_PORT: z.coerce
    .number({ error: 'must be a TCP port number (0-65535)' })
    .int()
    .min(0)
    .max(65535)
    .default(8180),
  EMBEDDED_IDP_PUBLIC_URL: z.url().optional(),
}).superRefine((value, context) => {
  if (value.IDENTITY_PROVIDER !== 'keycloak') return;
  if (!value.KEYCLOAK_URL)
    context.addIssue({
      code: 'custom',
      path: ['KEYCLOAK_URL'],
      message: 'is required when IDENTITY_PROVIDER=keycloak',
    });
  const client = value.KEYCLOAK_ADMIN_CLIENT_ID && value.KEYCLOAK_ADMIN_CLIENT_SECRET;
  const user = value.KEYCLOAK_ADMIN_USERNAME && value.KEYCLOAK_ADMIN_PASSWORD;
  if (!client && !user) {
    context.addIssue({
      code: 'custom',
      path: ['KEYCLOAK_ADMIN_CLIENT_ID'],
      message:
        'set KEYCLOAK_ADMIN_CLIENT_ID and KEYCLOAK_ADMIN_CLIENT_SECRET (or KEYCLOAK_ADMIN_USERNAME and KEYCLOAK_ADMIN_PASSWORD)',
    });
  }
});

export type Config = z.infer<typeof configSchema>;

export function loadConfig(env: Record<string, string | undefined>): Config {
  return parseEnv(configSchema, env);
}
