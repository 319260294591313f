import { describe, expect, it } from '@jest/globals';
import { rateLimitHeaders } from './rateLimit';

describe('rateLimitHeaders', () => {
  it('writes one structured-field item per policy, as the IETF draft shapes them', () => {
    const principal = { name: 'principal', points: 100, windowSeconds: 60 };
    const tenant = { name: 'tenant', points: 1000, windowSeconds: 60 };
    expect(
      rateLimitHeaders([
        { policy: principal, allowed: true, remaining: 42, resetSeconds: 17 },
        { policy: tenant, allowed: true, remaining: 900, resetSeconds: 30 },
      ]),
    ).toEqual({
      'RateLimit-Policy': '"principal";q=100;w=60, "tenant";q=1000;w=60',
      RateLimit: '"principal";r=42;t=17, "tenant";r=900;t=30',
    });
  });

  it('writes nothing when no limit applies', () => {
    expect(rateLimitHeaders([])).toEqual({});
  });
});
