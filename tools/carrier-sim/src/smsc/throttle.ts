import { RateLimiterMemory } from 'rate-limiter-flexible';

/**
 * The SMSC's own throughput limit: at most `perSecond` submit_sm per bind in each second (a fixed window, as
 * many SMSCs count), the rest answered ESME_RTHROTTLED. 0 means no limit.
 */
export class SubmitThrottle {
  private readonly limiter?: RateLimiterMemory;

  constructor(perSecond: number) {
    if (perSecond > 0) this.limiter = new RateLimiterMemory({ points: perSecond, duration: 1 });
  }

  /** Whether the bind `sessionKey` may submit one more message now. */
  async admit(sessionKey: string): Promise<boolean> {
    if (!this.limiter) return true;
    return this.limiter.consume(sessionKey).then(
      () => true,
      () => false,
    );
  }
}
