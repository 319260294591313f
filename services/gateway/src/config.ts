import { isIP } from 'node:net';
import { parseEnv, serviceEnv, z } from '@parley/kit';

const address = z
  .string()
  .regex(/^[A-Za-z0-9.-]+:\d{1,5}$/, 'must be host:port of the service gRPC endpoint');

const proxyRanges = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** An address, a CIDR range, or one of express's named ranges. */
function isProxyEntry(entry: string): boolean {
  if (proxyRanges.has(entry)) return true;
  const [address = '', prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

/**
 * The proxies whose X-Forwarded-For, -Proto and -Host are believed: comma-separated addresses, CIDR ranges
 * or `loopback`, `linklocal`, `uniquelocal`. Empty (the default): none, the client is the peer address.
 */
export const trustedProxies = z
  .string()
  .default('')
  .transform((value) =>
    value
      .split(',')
      .map((entry) => entry.trim())
      .filter((entry) => entry.length > 0),
  )
  .refine(
    (entries) => entries.every(isProxyEntry),
    'must be comma-separated IP addresses, CIDR ranges (10.0.0.0/8) or loopback, linklocal, uniquelocal',
  );

export const configSchema = serviceEnv({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().min(1).default('0.0.0.0'),
  TRUSTED_PROXIES: trustedProxies,
  IDENTITY_ADDR: address,
  NUMBERING_ADDR: address,
  MESSAGING_ADDR: address,
  BILLING_ADDR: address,
  PRIVACY_ADDR: address,
  /** How long /readyz waits for each service's health answer. */
  READINESS_TIMEOUT_MS: z.coerce.number().int().min(50).max(30_000).default(1_000),
  /** Deadline of each gRPC call made on behalf of an HTTP request. */
  UPSTREAM_TIMEOUT_MS: z.coerce.number().int().min(50).max(60_000).default(5_000),
  /**
   * Deadline of creating a tenant: a dedicated tenant's realm is made in Keycloak, which takes seconds
   * and, on a busy machine, longer than UPSTREAM_TIMEOUT_MS.
   */
  PROVISIONING_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(300_000).default(60_000),
  /** Base URL of the token issuer (Keycloak, or the embedded provider in npm start): issuers are <url>/realms/<realm>. */
  KEYCLOAK_URL: z.url().optional(),
  /** The realm pooled tenants share; dedicated tenants' realms are tenant-<id>. */
  KEYCLOAK_REALM: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]*$/, 'must be a realm name (lowercase letters, digits, hyphens)')
    .default('parley'),
  /** The audience an access token must carry. */
  OIDC_AUDIENCE: z.string().min(1).default('parley-api'),
  /** Length of every rate-limit window, in seconds. */
  RATE_LIMIT_WINDOW_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
  /** Requests per window for each API key, OAuth client or user (0: no such limit). */
  RATE_LIMIT_PER_PRINCIPAL: z.coerce.number().int().min(0).max(10_000_000).default(1_200),
  /** Requests per window for each tenant, all its callers together (0: no such limit). */
  RATE_LIMIT_PER_TENANT: z.coerce.number().int().min(0).max(10_000_000).default(6_000),
  /** Requests per window for each client IP address on routes open without credentials (0: no limit). */
  RATE_LIMIT_PER_IP: z.coerce.number().int().min(0).max(10_000_000).default(60),
  /** How long a replica keeps a tenant's rate-limit override before reading it again. */
  RATE_LIMIT_OVERRIDE_CACHE_MS: z.coerce.number().int().min(0).max(3_600_000).default(10_000),
  /** Gateway replicas sharing the limits; while the database is unreachable each replica allows 1/N. */
  RATE_LIMIT_REPLICAS: z.coerce.number().int().min(1).max(1_000).default(1),
  /** How long a request holds its Idempotency-Key before a retry may take it over (a crashed replica). */
  IDEMPOTENCY_LEASE_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(60_000),
});

export type Config = z.infer<typeof configSchema>;

export function loadConfig(env: Record<string, string | undefined>): Config {
  return parseEnv(configSchema, env);
}
