import { AsyncLocalStorage } from 'node:async_hooks';

/** Who a unit of work is for: set per request or per event so every log line carries the tenant. */
export interface WorkContext {
  tenantId?: string;
  principal?: string;
  /** The request id an RPC carried (or the gateway assigned); forwarded on calls made while serving it. */
  requestId?: string;
}

const storage = new AsyncLocalStorage<WorkContext>();

export function runWithContext<T>(context: WorkContext, work: () => T): T {
  return storage.run({ ...storage.getStore(), ...context }, work);
}

export function currentContext(): WorkContext {
  return storage.getStore() ?? {};
}
