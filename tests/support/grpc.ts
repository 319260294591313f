import { expect } from '@jest/globals';
import type { status } from '@grpc/grpc-js';
import { decodeServiceError, type FieldViolation } from '@parley/kit';

/** Awaits a call that must fail, and checks its gRPC code and stable reason. */
export async function expectStatus(
  promise: Promise<unknown>,
  code: status,
  reason?: string,
): Promise<{ message: string; fieldViolations: FieldViolation[] }> {
  const error = await promise.then(
    () => undefined,
    (failure: unknown) => failure,
  );
  expect(error).toBeDefined();
  const decoded = decodeServiceError(error);
  expect({ code: decoded.code, reason: reason ? decoded.reason : undefined }).toEqual({ code, reason });
  return decoded;
}

export async function eventually<T>(what: string, attempt: () => Promise<T>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      return await attempt();
    } catch (error) {
      last = error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`timed out waiting for ${what}: ${(last as Error)?.message ?? String(last)}`);
}
