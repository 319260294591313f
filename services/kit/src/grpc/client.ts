import {
  credentials,
  makeGenericClientConstructor,
  Metadata,
  type Client,
  type ChannelOptions,
  type ServiceError,
  type CallOptions,
} from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';

export interface ClientOptions {
  /** Fully qualified service name, e.g. "parley.identity.v1.IdentityService", for the retry policy. */
  serviceName: string;
  /** Methods that are safe to retry (reads and idempotent writes); retried on UNAVAILABLE. */
  idempotentMethods?: string[];
}

/**
 * Builds a client whose idempotent methods retry with exponential backoff on UNAVAILABLE (grpc-js
 * service-config retries). Deadlines are per call: see `call`.
 */
export function createClient<C extends Client>(
  Constructor: new (
    address: string,
    creds: ReturnType<typeof credentials.createInsecure>,
    options?: ChannelOptions,
  ) => C,
  address: string,
  options: ClientOptions,
): C {
  const methodConfig = (options.idempotentMethods ?? []).map((method) => ({
    name: [{ service: options.serviceName, method }],
    retryPolicy: {
      maxAttempts: 4,
      initialBackoff: '0.1s',
      maxBackoff: '2s',
      backoffMultiplier: 2,
      retryableStatusCodes: ['UNAVAILABLE'],
    },
  }));
  return new Constructor(address, credentials.createInsecure(), {
    'grpc.service_config': JSON.stringify({ methodConfig }),
    'grpc.enable_retries': 1,
    'grpc.keepalive_time_ms': 30_000,
  });
}

/* eslint-disable @typescript-eslint/no-explicit-any */
/** Any ts-proto unary client method; its last overload is `(request, metadata, options, callback)`. */
export type UnaryMethod = (...args: any[]) => unknown;
/** The response type of a unary client method (inferred from its last overload). */
export type ResponseOf<M> = M extends (
  request: any,
  metadata: any,
  options: any,
  callback: (error: any, response: infer Response) => void,
) => unknown
  ? Response
  : never;
/* eslint-enable @typescript-eslint/no-explicit-any */

/** Calls a unary method as a promise, with a deadline (default 5 s). */
export function call<M extends UnaryMethod>(
  client: Client,
  method: M,
  request: Parameters<M>[0],
  options: { metadata?: Metadata; timeoutMs?: number } = {},
): Promise<ResponseOf<M>> {
  return new Promise((resolve, reject) => {
    method.call(
      client,
      request,
      options.metadata ?? new Metadata(),
      { deadline: new Date(Date.now() + (options.timeoutMs ?? 5_000)) } satisfies Partial<CallOptions>,
      (error: ServiceError | null, response: ResponseOf<M>) => (error ? reject(error) : resolve(response)),
    );
  });
}

export type HealthStatus = 'SERVING' | 'NOT_SERVING' | 'UNKNOWN' | 'SERVICE_UNKNOWN' | 'UNREACHABLE';

const HealthClient = makeGenericClientConstructor(healthService, 'Health');
const healthClients = new Map<string, Client>();

const statusNames: Record<number, HealthStatus> = {
  0: 'UNKNOWN',
  1: 'SERVING',
  2: 'NOT_SERVING',
  3: 'SERVICE_UNKNOWN',
};

/** Asks a server's standard grpc.health.v1 service; UNREACHABLE when it does not answer in time. */
export function checkHealth(address: string, timeoutMs = 1_000, service = ''): Promise<HealthStatus> {
  let client = healthClients.get(address);
  if (!client) {
    client = new HealthClient(address, credentials.createInsecure());
    healthClients.set(address, client);
  }
  const healthClient = client as unknown as {
    check: (
      request: { service: string },
      options: Partial<CallOptions>,
      callback: (error: ServiceError | null, response?: { status: string | number }) => void,
    ) => void;
  };
  return new Promise((resolve) => {
    healthClient.check({ service }, { deadline: new Date(Date.now() + timeoutMs) }, (error, response) => {
      if (error || !response) return resolve('UNREACHABLE');
      const value = response.status;
      resolve(typeof value === 'number' ? (statusNames[value] ?? 'UNKNOWN') : (value as HealthStatus));
    });
  });
}

export function closeHealthClients(): void {
  for (const client of healthClients.values()) client.close();
  healthClients.clear();
}
