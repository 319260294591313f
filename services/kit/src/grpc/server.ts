import {
  Server,
  ServerCredentials,
  status,
  type ServiceDefinition,
  type UntypedServiceImplementation,
  type ServerUnaryCall,
  type sendUnaryData,
  type ServerWritableStream,
  type Metadata,
} from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import { ReflectionService } from '@grpc/reflection';
import { loadSync } from '@grpc/proto-loader';
import { metrics } from '@opentelemetry/api';
import type { Logger } from '../logging';
import { runWithContext } from '../context';
import { internalTokenFrom, requestIdFrom, type Caller } from './caller';
import type { InternalTokens } from '../auth/internalToken';
import { grants, type Scope } from '../scopes';
import { isTenantId } from '../db/database';
import { toServiceError } from './status';
import { AppError, invalidArgument, permissionDenied, unauthenticated } from '../errors';
import { controlCharacterViolations } from '../text';

const meter = metrics.getMeter('parley-kit');
const requestCounter = meter.createCounter('rpc_server_requests_total', {
  description: 'gRPC requests handled, by method and status code',
});
const requestDuration = meter.createHistogram('rpc_server_duration_seconds', {
  description: 'gRPC request duration',
  unit: 's',
});

export interface RpcContext<Request> {
  request: Request;
  /** The verified caller, from the signed internal token. */
  caller: Caller;
  log: Logger;
  /** Absolute deadline set by the client, if any. */
  deadline?: Date;
  /**
   * The request id the call carried (`parley-request-id` metadata): the same on every retry of one
   * logical request. Pass it to `onceForRequest` to carry out a creating RPC at most once.
   */
  requestId?: string;
}

export interface RpcOptions {
  /** The scope the caller's token must grant (a list: any one of them). */
  scope?: Scope | readonly Scope[];
  /** Whether the caller must act for a tenant (default true); platform and internal calls have none. */
  tenant?: boolean;
}

export interface RpcDependencies {
  log: Logger;
  tokens: InternalTokens;
}

/**
 * Verifies the caller a call carries: a valid internal token (else UNAUTHENTICATED), the scope the RPC
 * needs and a tenant when it acts for one (else PERMISSION_DENIED).
 */
async function verifyCaller(metadata: Metadata, deps: RpcDependencies, options: RpcOptions): Promise<Caller> {
  const token = internalTokenFrom(metadata);
  if (!token) throw unauthenticated('CALLER_MISSING', 'call carries no internal token');
  let caller: Caller;
  try {
    caller = await deps.tokens.verify(token);
  } catch (error) {
    throw unauthenticated('CALLER_INVALID', (error as Error).message);
  }
  const needed: readonly Scope[] =
    options.scope === undefined ? [] : typeof options.scope === 'string' ? [options.scope] : options.scope;
  if (needed.length > 0 && !needed.some((scope) => grants(caller.scopes, scope))) {
    throw permissionDenied('SCOPE_MISSING', `this call needs the ${needed.join(' or ')} scope`);
  }
  if ((options.tenant ?? true) && !isTenantId(caller.tenantId)) {
    throw permissionDenied('TENANT_MISSING', 'this call acts for a tenant, and the caller has none');
  }
  return caller;
}

/**
 * Refuses a request whose text holds a control character, naming each field: a NUL byte would otherwise
 * reach PostgreSQL and fail there as an internal error, and no stored text needs one. Every RPC of every
 * service passes here, so no handler can forget it.
 */
function refuseControlCharacters(request: unknown): void {
  const violations = controlCharacterViolations(request, '(request)');
  if (violations.length > 0) {
    throw invalidArgument(
      'CONTROL_CHARACTER',
      violations.map((violation) => `${violation.field}: ${violation.description}`).join('; '),
      violations,
    );
  }
}

/** The verified caller, once the request's text has passed too. */
async function admit(
  call: { metadata: Metadata; request: unknown },
  deps: RpcDependencies,
  options: RpcOptions,
): Promise<Caller> {
  const caller = await verifyCaller(call.metadata, deps, options);
  refuseControlCharacters(call.request);
  return caller;
}

function deadlineOf(call: { getDeadline(): Date | number }): Date | undefined {
  const raw = call.getDeadline();
  return raw instanceof Date ? raw : Number.isFinite(raw) ? new Date(raw) : undefined;
}

/**
 * Adapts an async handler to grpc-js: verifies the caller, runs the handler with the caller's tenant in
 * the log context, maps thrown errors through the one status adapter, and records RED metrics.
 */
export function unary<Request, Response>(
  method: string,
  deps: RpcDependencies,
  handler: (context: RpcContext<Request>) => Promise<Response>,
  options: RpcOptions = {},
) {
  return (call: ServerUnaryCall<Request, Response>, callback: sendUnaryData<Response>): void => {
    const started = process.hrtime.bigint();
    const finish = (code: status) => {
      const attributes = { method, code: status[code] ?? String(code) };
      requestCounter.add(1, attributes);
      requestDuration.record(Number(process.hrtime.bigint() - started) / 1e9, attributes);
    };
    const requestLog = deps.log.child({ rpc: method });
    const requestId = requestIdFrom(call.metadata);
    admit(call, deps, options)
      .then((caller) =>
        runWithContext(
          { tenantId: caller.tenantId || undefined, principal: caller.principal, requestId },
          () =>
            handler({
              request: call.request,
              caller,
              log: requestLog,
              deadline: deadlineOf(call),
              requestId,
            }),
        ),
      )
      .then(
        (response) => {
          finish(status.OK);
          callback(null, response);
        },
        (error: unknown) => {
          const serviceError = toServiceError(error, requestLog);
          finish(serviceError.code ?? status.INTERNAL);
          callback(serviceError, null);
        },
      );
  };
}

/** Server-streaming counterpart of `unary`: the handler writes items with `send`, which honours back-pressure. */
export function serverStream<Request, Item>(
  method: string,
  deps: RpcDependencies,
  handler: (context: RpcContext<Request>, send: (item: Item) => Promise<void>) => Promise<void>,
  options: RpcOptions = {},
) {
  return (call: ServerWritableStream<Request, Item>): void => {
    const requestLog = deps.log.child({ rpc: method });
    // A reader that cancels (or goes away) makes every later `send` fail, so the handler stops instead of
    // waiting for a 'drain' that never comes.
    let gone = false;
    call.once('cancelled', () => {
      gone = true;
      call.emit('drain');
    });
    const send = (item: Item) =>
      new Promise<void>((resolve, reject) => {
        const cancelled = () =>
          reject(new AppError('unavailable', 'STREAM_CANCELLED', 'the reader cancelled the stream'));
        if (gone) return cancelled();
        if (call.write(item)) resolve();
        else call.once('drain', () => (gone ? cancelled() : resolve()));
      });
    const requestId = requestIdFrom(call.metadata);
    admit(call, deps, options)
      .then((caller) =>
        runWithContext(
          { tenantId: caller.tenantId || undefined, principal: caller.principal, requestId },
          () =>
            handler(
              { request: call.request, caller, log: requestLog, deadline: deadlineOf(call), requestId },
              send,
            ),
        ),
      )
      .then(
        () => call.end(),
        // grpc-js turns an 'error' event into the call's status and ends it; destroy() would end the
        // stream without ever sending a status, leaving the reader waiting.
        (error: unknown) =>
          call.emit('error', Object.assign(new Error('rpc failed'), toServiceError(error, requestLog))),
      );
  };
}

export interface GrpcServiceRegistration {
  /** Fully qualified name, e.g. "parley.numbering.v1.NumberingService"; health reports it by this name. */
  name: string;
  definition: ServiceDefinition;
  implementation: UntypedServiceImplementation;
}

export interface GrpcServerOptions {
  host: string;
  port: number;
  log: Logger;
  services: GrpcServiceRegistration[];
  /** .proto files (relative to `protoDir`) to expose through server reflection. */
  reflection?: { protoDir: string; files: string[] };
}

export interface GrpcServer {
  port: number;
  health: HealthImplementation;
  /** Marks the service NOT_SERVING, lets in-flight calls finish for up to `timeoutMs`, then forces. */
  shutdown(timeoutMs: number): Promise<void>;
}

export async function startGrpcServer(options: GrpcServerOptions): Promise<GrpcServer> {
  const server = new Server({ 'grpc.max_receive_message_length': 8 * 1024 * 1024 });
  const health = new HealthImplementation({ '': 'NOT_SERVING' });
  health.addToServer(server);
  for (const service of options.services) {
    // grpc-js refuses a service without methods; a new service may not have its first RPC yet.
    if (Object.keys(service.definition).length > 0)
      server.addService(service.definition, service.implementation);
  }
  if (options.reflection) {
    const definition = loadSync(options.reflection.files, {
      includeDirs: [options.reflection.protoDir],
      keepCase: true,
      longs: String,
    });
    new ReflectionService(definition).addToServer(server);
  }
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(
      `${options.host}:${options.port}`,
      ServerCredentials.createInsecure(),
      (error, boundPort) => (error ? reject(error) : resolve(boundPort)),
    );
  });
  health.setStatus('', 'SERVING');
  for (const service of options.services) health.setStatus(service.name, 'SERVING');
  options.log.info({ port }, 'gRPC server listening');
  return {
    port,
    health,
    shutdown: (timeoutMs) =>
      new Promise<void>((resolve) => {
        health.setStatus('', 'NOT_SERVING');
        for (const service of options.services) health.setStatus(service.name, 'NOT_SERVING');
        const timer = setTimeout(() => {
          options.log.warn('gRPC calls still running at shutdown deadline; forcing');
          server.forceShutdown();
          resolve();
        }, timeoutMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}
