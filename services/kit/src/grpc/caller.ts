import { Metadata } from '@grpc/grpc-js';
import { INTERNAL_TOKEN_METADATA_KEY, type InternalTokens } from '../auth/internalToken';
import { currentContext } from '../context';
import { isValidRequestId } from '../idempotency/handledRequests';

/**
 * gRPC metadata key of the request id: the same for every retry of one logical request (the gateway
 * derives it from the caller's Idempotency-Key), so services can deduplicate with `onceForRequest`.
 */
export const REQUEST_ID_METADATA_KEY = 'parley-request-id';

/**
 * The verified caller, as the gateway forwards it to services (inside a signed internal token in the
 * gRPC metadata). Services take the tenant from here, never from a request body. `tenantId` is empty for
 * platform-level callers (a platform admin, or the gateway itself while it authenticates someone).
 */
export interface Caller {
  tenantId: string;
  principal: string;
  scopes: string[];
}

/**
 * Metadata carrying `caller` as a freshly signed internal token, and the request id: the one given, else
 * the one of the request being served (so a service passes it on to the services it calls).
 */
export async function callerMetadata(
  tokens: InternalTokens,
  caller: Caller,
  requestId: string | undefined = currentContext().requestId,
): Promise<Metadata> {
  const metadata = new Metadata();
  metadata.set(INTERNAL_TOKEN_METADATA_KEY, await tokens.sign(caller));
  if (requestId) metadata.set(REQUEST_ID_METADATA_KEY, requestId);
  return metadata;
}

/** The request id a call carries, when it is well-formed. */
export function requestIdFrom(metadata: Metadata): string | undefined {
  const value = metadata.get(REQUEST_ID_METADATA_KEY)[0];
  return typeof value === 'string' && isValidRequestId(value) ? value : undefined;
}

export function internalTokenFrom(metadata: Metadata): string | undefined {
  const value = metadata.get(INTERNAL_TOKEN_METADATA_KEY)[0];
  return typeof value === 'string' && value !== '' ? value : undefined;
}
