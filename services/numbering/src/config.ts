import { parseEnv, serviceEnv, z } from '@parley/kit';
import { DEFAULT_EXCHANGE_RATES, parseExchangeRates } from './domain/numbers';

/** The shared service variables and the numbering service's own. */
export const configSchema = serviceEnv({
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
   * How long ResolveNumber keeps an answer in memory. This replica drops an entry as soon as it commits a
   * change to the number; the TTL bounds how long another replica may still answer the previous value.
   */
  RESOLVE_CACHE_TTL_MS: z.coerce.number().int().min(0).max(3_600_000).default(30_000),
});

export type Config = z.infer<typeof configSchema>;

export function loadConfig(env: Record<string, string | undefined>): Config {
  return parseEnv(configSchema, env);
}
