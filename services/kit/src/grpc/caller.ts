import { Metadata } from '@grpc/grpc-js';
import { INTERNAL_TOKEN_METADATA_KEY, type InternalTokens } from '../auth/internalToken';

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

/** Metadata carrying `caller` as a freshly signed internal token. */
export async function callerMetadata(tokens: InternalTokens, caller: Caller): Promise<Metadata> {
  const metadata = new Metadata();
  metadata.set(INTERNAL_TOKEN_METADATA_KEY, await tokens.sign(caller));
  return metadata;
}

export function internalTokenFrom(metadata: Metadata): string | undefined {
  const value = metadata.get(INTERNAL_TOKEN_METADATA_KEY)[0];
  return typeof value === 'string' && value !== '' ? value : undefined;
}
