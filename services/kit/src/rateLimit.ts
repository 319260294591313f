import type pg from 'pg';
import { RateLimiterMemory, RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';

/** One limit: at most `points` per `windowSeconds` for each subject, under a stable name. */
export interface RateLimitPolicy {
  /** Names the counter family (`principal`, `tenant`, `sender`); also the policy name in headers. */
  name: string;
  points: number;
  windowSeconds: number;
}

/** Where one subject stands against one policy after a request was counted. */
export interface RateLimitDecision {
  policy: RateLimitPolicy;
  allowed: boolean;
  /** Points left in the current window. */
  remaining: number;
  /** Seconds until the window resets (at least 1 when refused: the earliest sensible retry). */
  resetSeconds: number;
}

export interface SharedRateLimiterOptions {
  /** The service's own pool; counters live in its database (kit migration `kit_rate_limits`). */
  pool: pg.Pool;
  /**
   * Divides each policy's points for the in-process fallback used while PostgreSQL is unreachable:
   * with N replicas, N keeps the total near the shared limit. Default 1.
   */
  replicas?: number;
}

/**
 * Fixed-window counters shared by every replica of a service, through rate-limiter-flexible's
 * PostgreSQL store on the service's own database (one upsert per decision). The table comes from a kit
 * migration, so the limiter never creates tables as the service role.
 *
 * When the store cannot be reached, decisions fall back to an in-memory limiter per process (the
 * library's insurance limiter) with the policy's points divided by the replica count: requests keep
 * being limited, per replica, rather than refused outright (the gateway's database being down must not
 * take the whole API down) or let through unlimited.
 */
export class SharedRateLimiter {
  private readonly limiters = new Map<string, RateLimiterPostgres>();

  constructor(private readonly options: SharedRateLimiterOptions) {}

  private limiter(policy: RateLimitPolicy): RateLimiterPostgres {
    const id = `${policy.name}/${policy.points}/${policy.windowSeconds}`;
    let limiter = this.limiters.get(id);
    if (!limiter) {
      const insurancePoints = Math.max(1, Math.floor(policy.points / (this.options.replicas ?? 1)));
      limiter = new RateLimiterPostgres({
        storeClient: this.options.pool,
        storeType: 'pool',
        tableName: 'kit_rate_limits',
        tableCreated: true,
        // Counters of one family share keys whatever the points: a changed limit applies to the window
        // already under way.
        keyPrefix: policy.name,
        points: policy.points,
        duration: policy.windowSeconds,
        insuranceLimiter: new RateLimiterMemory({
          keyPrefix: policy.name,
          points: insurancePoints,
          duration: policy.windowSeconds,
        }),
      });
      this.limiters.set(id, limiter);
    }
    return limiter;
  }

  /** Counts `cost` points for `subject` under `policy` and says whether it stayed within the limit. */
  async consume(policy: RateLimitPolicy, subject: string, cost = 1): Promise<RateLimitDecision> {
    try {
      const result = await this.limiter(policy).consume(subject, cost);
      return decision(policy, result, true);
    } catch (refusal) {
      if (refusal instanceof RateLimiterRes) return decision(policy, refusal, false);
      throw refusal;
    }
  }
}

function decision(policy: RateLimitPolicy, result: RateLimiterRes, allowed: boolean): RateLimitDecision {
  const seconds = Math.ceil(Math.max(result.msBeforeNext, 0) / 1000);
  return {
    policy,
    allowed,
    remaining: Math.max(0, result.remainingPoints),
    resetSeconds: allowed ? seconds : Math.max(1, seconds),
  };
}

/**
 * The IETF `RateLimit-Policy` and `RateLimit` response fields (draft-ietf-httpapi-ratelimit-headers):
 * structured-field lists with one item per policy, e.g. `"tenant";q=3000;w=60` and `"tenant";r=2999;t=60`.
 */
export function rateLimitHeaders(decisions: RateLimitDecision[]): Record<string, string> {
  if (decisions.length === 0) return {};
  return {
    'RateLimit-Policy': decisions
      .map(({ policy }) => `"${policy.name}";q=${policy.points};w=${policy.windowSeconds}`)
      .join(', '),
    RateLimit: decisions
      .map(({ policy, remaining, resetSeconds }) => `"${policy.name}";r=${remaining};t=${resetSeconds}`)
      .join(', '),
  };
}
