import { Metadata } from '@grpc/grpc-js';

/**
 * The verified caller, as the gateway forwards it to services in gRPC metadata. Services take the
 * tenant from here, never from a request body.
 */
export interface Caller {
  tenantId: string;
  principal: string;
  scopes: string[];
}

export const CALLER_TENANT_KEY = 'parley-tenant-id';
export const CALLER_PRINCIPAL_KEY = 'parley-principal';
export const CALLER_SCOPES_KEY = 'parley-scopes';

export function callerMetadata(caller: Caller): Metadata {
  const metadata = new Metadata();
  metadata.set(CALLER_TENANT_KEY, caller.tenantId);
  metadata.set(CALLER_PRINCIPAL_KEY, caller.principal);
  metadata.set(CALLER_SCOPES_KEY, caller.scopes.join(' '));
  return metadata;
}

export function callerFromMetadata(metadata: Metadata): Caller | undefined {
  const tenantId = metadata.get(CALLER_TENANT_KEY)[0];
  if (typeof tenantId !== 'string' || tenantId === '') return undefined;
  const principal = metadata.get(CALLER_PRINCIPAL_KEY)[0];
  const scopes = metadata.get(CALLER_SCOPES_KEY)[0];
  return {
    tenantId,
    principal: typeof principal === 'string' ? principal : '',
    scopes: typeof scopes === 'string' && scopes !== '' ? scopes.split(' ') : [],
  };
}
