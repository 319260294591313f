import { parseEnv, serviceEnv, type z } from '@parley/kit';

/** The shared service variables; add the privacy service's own here. */
export const configSchema = serviceEnv({});

export type Config = z.infer<typeof configSchema>;

export function loadConfig(env: Record<string, string | undefined>): Config {
  return parseEnv(configSchema, env);
}
