import { createHash } from 'node:crypto';
import {
  rateLimitHeaders,
  type Caller,
  type Logger,
  type RateLimitDecision,
  type RateLimitPolicy,
  type SharedRateLimiter,
} from '@parley/kit';
import type { RateLimitOverrides } from '../db/rateLimitOverrides';
import { RATE_LIMITED } from '../domain/errors';
import { HttpProblem } from './problem';

export interface RateLimitDefaults {
  windowSeconds: number;
  /** 0 turns a limit off. */
  perPrincipal: number;
  perTenant: number;
  perIp: number;
}

/**
 * The gateway's limits: per caller (each API key, OAuth client or user) and per tenant on authenticated
 * routes, per client IP address on routes open without credentials that ask for it. Counters are shared
 * by every replica (kit `SharedRateLimiter`); a tenant's own limits replace the defaults.
 */
export class GatewayRateLimits {
  constructor(
    private readonly limiter: SharedRateLimiter,
    private readonly overrides: RateLimitOverrides,
    private readonly defaults: RateLimitDefaults,
    private readonly log: Logger,
  ) {}

  private policy(name: string, points: number): RateLimitPolicy | undefined {
    return points > 0 ? { name, points, windowSeconds: this.defaults.windowSeconds } : undefined;
  }

  /** Counts one request of an authenticated caller. */
  async countCaller(caller: Caller): Promise<RateLimitDecision[]> {
    let perPrincipal = this.defaults.perPrincipal;
    let perTenant = this.defaults.perTenant;
    if (caller.tenantId) {
      try {
        const override = await this.overrides.get(caller.tenantId);
        perPrincipal = override?.perPrincipal ?? perPrincipal;
        perTenant = override?.perTenant ?? perTenant;
      } catch (error) {
        // The defaults still protect the platform while the overrides cannot be read.
        this.log.warn({ err: error }, 'could not read the tenant rate limits; using the defaults');
      }
    }
    const counted: Promise<RateLimitDecision>[] = [];
    const principal = this.policy('principal', perPrincipal);
    if (principal) counted.push(this.limiter.consume(principal, `${caller.tenantId}/${caller.principal}`));
    const tenant = caller.tenantId ? this.policy('tenant', perTenant) : undefined;
    if (tenant) counted.push(this.limiter.consume(tenant, caller.tenantId));
    return Promise.all(counted);
  }

  /** Counts one request from a client address (kept only as a hash in the counters). */
  async countClient(ip: string): Promise<RateLimitDecision[]> {
    const policy = this.policy('ip', this.defaults.perIp);
    if (!policy) return [];
    return [await this.limiter.consume(policy, createHash('sha256').update(ip).digest('hex').slice(0, 32))];
  }
}

/**
 * The headers every limited answer carries, and for a request over any limit the 429 problem with
 * `Retry-After` (the longest wait among the limits it is over).
 */
export function rateLimitOutcome(decisions: RateLimitDecision[]): {
  headers: Record<string, string>;
  refusal?: HttpProblem;
} {
  const headers = rateLimitHeaders(decisions);
  const over = decisions.filter((decision) => !decision.allowed);
  if (over.length === 0) return { headers };
  const retryAfter = Math.max(...over.map((decision) => decision.resetSeconds));
  const names = over.map((decision) => decision.policy.name).join(' and ');
  return {
    headers,
    refusal: new HttpProblem(
      429,
      RATE_LIMITED,
      `too many requests: the ${names} limit is used up for this window; retry after ${retryAfter} s`,
      [],
      { ...headers, 'Retry-After': String(retryAfter) },
    ),
  };
}
