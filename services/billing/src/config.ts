import { parseEnv, serviceEnv, z } from '@parley/kit';

const secret = z.string().min(16, 'must be at least 16 characters');

/** A whole number from `min` to `max`, one message for every way it can be wrong. */
const whole = (min: number, max: number, what: string) => {
  const error = `must be ${what} from ${min} to ${max}`;
  return z.coerce.number({ error }).int({ error }).min(min, { error }).max(max, { error });
};

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
   * The payment processor top-ups, refunds and invoice payments go through: `payment-sim` (tools/payment-sim, the one adapter
   * so far) or `none` (payment endpoints answer PAYMENTS_NOT_CONFIGURED).
   */
  PAYMENT_PROCESSOR: z
    .enum(['none', 'payment-sim'], { error: 'must be none or payment-sim' })
    .default('none'),
  /** The processor's API base URL and the secret (server-side) key billing authenticates with. */
  PAYMENT_PROCESSOR_URL: z
    .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' })
    .optional(),
  PAYMENT_PROCESSOR_SECRET_KEY: secret.optional(),
  PAYMENT_PROCESSOR_TIMEOUT_MS: whole(100, 120_000, 'a whole number of milliseconds').default(10_000),
  /**
   * The secret the processor signs its webhooks with, and the port (on GRPC_HOST) of the endpoint they are
   * posted to: POST /processor/webhooks.
   */
  PAYMENT_WEBHOOK_SECRET: secret.optional(),
  PAYMENT_WEBHOOK_PORT: whole(0, 65_535, 'a port').default(8091),
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
  /**
   * Years financial records are kept after the customer leaves, by billing country, over the built-in
   * table (src/domain/retention.ts: AT 7, DE 10, FR 10, GB 6, US 7): `CC=years` pairs separated by
   * commas, e.g. `CH=10,AT=7`.
   */
  BILLING_RETENTION_YEARS: z
    .string()
    .default('')
    .transform((value, context) => {
      const table: Record<string, number> = {};
      for (const pair of value
        .split(',')
        .map((part) => part.trim())
        .filter(Boolean)) {
        const match = /^([A-Z]{2})=(\d{1,2})$/.exec(pair);
        const years = Number(match?.[2]);
        if (!match || years < 1 || years > 30) {
          context.addIssue({
            code: 'custom',
            message: `must be CC=years pairs (ISO country code, 1-30 years) separated by commas; "${pair}" is not`,
          });
          return z.NEVER;
        }
        table[match[1]!] = years;
      }
      return table;
    }),
  /** Years financial records are kept after the customer leaves for a country with no entry. */
  BILLING_RETENTION_DEFAULT_YEARS: whole(1, 30, 'a whole number of years').default(7),
  /** The platform operator as printed on invoices (the seller). */
  INVOICE_SELLER_NAME: z.string().min(1, 'must not be empty').max(200).default('Parley'),
  /** The seller's postal address on invoices; lines separated by "\n" or ";". */
  INVOICE_SELLER_ADDRESS: z.string().max(1000).default(''),
  /** The seller's tax registration number on invoices (VAT id), empty when none. */
  INVOICE_SELLER_TAX_ID: z.string().max(50).default(''),
}).superRefine((value, context) => {
  if (value.PAYMENT_PROCESSOR === 'none') return;
  for (const name of [
    'PAYMENT_PROCESSOR_URL',
    'PAYMENT_PROCESSOR_SECRET_KEY',
    'PAYMENT_WEBHOOK_SECRET',
  ] as const)
    if (!value[name])
      context.addIssue({
        code: 'custom',
        path: [name],
        message: `is required when PAYMENT_PROCESSOR is ${value.PAYMENT_PROCESSOR}`,
      });
});

export type Config = z.infer<typeof configSchema>;

export function loadConfig(env: Record<string, string | undefined>): Config {
  return parseEnv(configSchema, env);
}
