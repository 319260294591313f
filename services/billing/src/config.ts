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
  /**
   * Hours after a month ends before the scheduled run closes it and issues its invoices: events of the
   * month that arrive within them still land on it (later ones go on the next invoice).
   */
  INVOICE_GRACE_HOURS: z.coerce
    .number({ error: 'must be a whole number of hours' })
    .int('must be a whole number of hours')
    .min(0, 'must be 0 or more')
    .max(720, 'must be at most 720 (30 days)')
    .default(72),
  /** The platform operator as printed on invoices (the seller). */
  INVOICE_SELLER_NAME: z.string().min(1, 'must not be empty').max(200).default('Parley'),
  /** The seller's postal address on invoices; lines separated by "\n" or ";". */
  INVOICE_SELLER_ADDRESS: z.string().max(1000).default(''),
  /** The seller's tax registration number on invoices (VAT id), empty when none. */
  INVOICE_SELLER_TAX_ID: z.string().max(50).default(''),
});

export type Config = z.infer<typeof configSchema>;

export function loadConfig(env: Record<string, string | undefined>): Config {
  return parseEnv(configSchema, env);
}
