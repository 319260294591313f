import { createHash, randomUUID } from 'node:crypto';
import type { Request } from 'express';
import { isValidIdempotencyKey, requestFingerprint, type Caller, type RequestIdentity } from '@parley/kit';
import { IDEMPOTENCY_KEY_INVALID } from '../domain/errors';
import { HttpProblem } from './problem';

export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';

/** The request's Idempotency-Key, if it sent one; a malformed one is a 400 naming the header. */
export function idempotencyKeyOf(request: Request): string | undefined {
  const value = request.get(IDEMPOTENCY_KEY_HEADER);
  if (value === undefined) return undefined;
  if (!isValidIdempotencyKey(value)) {
    const description = 'must be 1 to 255 printable ASCII characters (a UUID is a good choice)';
    throw new HttpProblem(
      400,
      IDEMPOTENCY_KEY_INVALID,
      `the ${IDEMPOTENCY_KEY_HEADER} header ${description}`,
      [{ field: IDEMPOTENCY_KEY_HEADER, description }],
    );
  }
  return value;
}

/** What one key stands for: this method, path, body, tenant and principal. */
export function requestIdentity(request: Request, caller: Caller, key: string): RequestIdentity {
  return {
    tenantId: caller.tenantId,
    principal: caller.principal,
    key,
    fingerprint: requestFingerprint({
      method: request.method,
      path: request.originalUrl,
      body: request.body ?? null,
      tenantId: caller.tenantId,
      principal: caller.principal,
    }),
  };
}

export const REQUEST_ID_HEADER = 'X-Request-Id';

/** A client's X-Request-Id we echo: 1 to 128 characters of letters, digits, `.`, `_`, `:` and `-`. */
const requestIdPattern = /^[A-Za-z0-9._:-]{1,128}$/;

export function isValidHttpRequestId(value: string): boolean {
  return requestIdPattern.test(value);
}

/**
 * The id of one HTTP request: the client's X-Request-Id when it is valid (so a partner can quote their own
 * id to support), else a new UUID. It is in the answer's X-Request-Id, the problem body and the log lines.
 */
export function httpRequestIdOf(request: Request): string {
  const given = request.get(REQUEST_ID_HEADER);
  return given !== undefined && isValidHttpRequestId(given) ? given : randomUUID();
}

/**
 * The request id sent to services in gRPC metadata: derived from the Idempotency-Key and the tenant when
 * there is one (so every retry carries the same id and services can deduplicate behind the gateway),
 * else the HTTP request's id.
 */
export function forwardedRequestIdOf(
  httpRequestId: string,
  tenantId: string,
  key: string | undefined,
): string {
  if (key) return `idem-${createHash('sha256').update(`${tenantId}\n${key}`).digest('hex').slice(0, 40)}`;
  return httpRequestId;
}
