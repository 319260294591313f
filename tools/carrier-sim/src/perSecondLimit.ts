import type { RequestHandler, Response } from 'express';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

/**
 * Throttling as carriers and processors do it: a fixed budget of requests per second for the account, then
 * `refuse(response, retryAfterSeconds)` (a 429 with Retry-After in the simulator's own error shape).
 * Shared by the carrier and payment simulators.
 */
export function perSecondLimit(
  perSecond: number,
  refuse: (response: Response, retryAfterSeconds: number) => void,
): RequestHandler {
  const limiter = new RateLimiterMemory({ points: perSecond, duration: 1 });
  return (_request, response, next) => {
    limiter.consume('account').then(
      () => next(),
      (refusal: unknown) => {
        if (!(refusal instanceof RateLimiterRes)) return next(refusal);
        refuse(response, Math.max(1, Math.ceil(refusal.msBeforeNext / 1000)));
      },
    );
  };
}
