import { parseEnv, serviceEnv, z } from '@parley/kit';

export const configSchema = serviceEnv({
  /** ISO 4217 currency of newly opened billing accounts. */
  BILLING_DEFAULT_CURRENCY: z
    .string()
    .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as USD')
    .default('USD'),
  /**
   * A new tenant's wallet: prepaid (sends refused once balance plus credit limit is spent) or postpaid
   * (invoiced). Postpaid by default so a platform without payments keeps sending; UpdateWallet changes a tenant.
   */
  BILLING_NEW_TENANT_MODE: z
    .enum(['prepaid', 'postpaid'], { error: 'must be prepaid or postpaid' })
    .default('postpaid'),
});

export type Config = z.infer<typeof configSchema>;

export function loadConfig(env: Record<string, string | undefined>): Config {
  return parseEnv(configSchema, env);
}
