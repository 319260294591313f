import { parseEnv, serviceEnv, z } from '@parley/kit';
import { DEFAULT_EXCHANGE_RATES, parseExchangeRates } from './domain/numbers';

/** The shared service variables and the numbering service's own. */
export const configSchema = serviceEnv({
  /** Which upstream supplier's adapter sells and ports numbers (`src/supplier/index.ts`). */
  NUMBER_SUPPLIER: z.enum(['carrier-sim'], { error: 'must be carrier-sim' }).default('carrier-sim'),
  /** Base URL of the supplier's API, e.g. http://127.0.0.1:4010 for the carrier simulator. */
  NUMBER_SUPPLIER_URL: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }),
  /** The API key the supplier issued to this platform (a secret). */
  NUMBER_SUPPLIER_API_KEY: z.string().min(1, 'must be the API key the supplier issued'),
  /** How long one supplier call may take before it counts as the supplier being unavailable. */
  NUMBER_SUPPLIER_TIMEOUT_MS: z.coerce
    .number({ error: 'must be a whole number of milliseconds from 100 to 120000' })
    .int({ error: 'must be a whole number of milliseconds from 100 to 120000' })
    .min(100, { error: 'must be a whole number of milliseconds from 100 to 120000' })
    .max(120_000, { error: 'must be a whole number of milliseconds from 100 to 120000' })
    .default(5_000),
  /**
   * Exchange rates from the supplier's currency into tenants' billing currencies, `FROM:TO=rate` pairs
   * (`USD:EUR=0.92,USD:GBP=0.79`): one FROM buys `rate` TO. Search prices are converted exactly and
   * rounded once to the billing currency's minor unit.
   */
  EXCHANGE_RATES: z
    .string()
    .default(DEFAULT_EXCHANGE_RATES)
    .transform((value, context) => {
      try {
        return parseExchangeRates(value);
      } catch (error) {
        context.addIssue({ code: 'custom', message: (error as Error).message });
        return z.NEVER;
      }
    }),
  /**
   * How long ResolveNumber keeps an answer in memory. Every replica drops an entry when the number's change
   * event reaches it; the TTL bounds staleness while a replica cannot hear events.
   */
  RESOLVE_CACHE_TTL_MS: z.coerce.number().int().min(0).max(3_600_000).default(30_000),
  /**
   * Where the supplier is told to deliver a number's traffic once it is Parley's (bought or ported): the
   * SMPP route (system id) of messaging's carrier bind, and the SIP URI or trunk of the voice platform.
   * Empty: that part of the routing is left as the supplier has it.
   */
  NUMBER_MESSAGING_ROUTE: z.string().max(255).default('parley'),
  NUMBER_VOICE_ROUTE: z.string().max(255).default(''),
});

export type Config = z.infer<typeof configSchema>;

export function loadConfig(env: Record<string, string | undefined>): Config {
  return parseEnv(configSchema, env);
}
