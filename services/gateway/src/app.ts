import type { Server } from 'node:http';
import { IdempotencyKeys, locateAssets, ServiceRuntime, SharedRateLimiter, type App } from '@parley/kit';
import { version } from '../package.json';
import type { Config } from './config';
import { Backends } from './backends';
import { ApiKeys } from './apiKeys';
import { makeAuthenticate, TokenVerifier } from './auth';
import { AccessLogRepository } from './db/accessLog';
import { RateLimitOverrides } from './db/rateLimitOverrides';
import { GatewayRateLimits, type RateLimitDefaults } from './http/rateLimiting';
import { buildRoutes } from './http/routes/index';
import { buildOpenApiDocument } from './http/openapi';
import { close, createHttpApp, listen, type AccessEntry } from './http/server';
import { gatewayParticipant } from './privacy';
import { GlobalPrivacyControl } from './globalPrivacyControl';
import { createTwilioRouter, TWILIO_API_PREFIX } from './twilio/router';

export interface GatewayApp extends App {
  runtime: ServiceRuntime;
  /** The HTTP port actually bound (PORT=0 picks a free one). */
  httpPort(): number | undefined;
}

/**
 * Composition root: the shared runtime (its own database for access logs, gRPC health), the clients of
 * every service, the route table and the OpenAPI document built from it, then the HTTP server.
 */
export function buildApp(config: Config): GatewayApp {
  const runtime = new ServiceRuntime({
    service: 'gateway',
    version,
    env: config,
    assets: locateAssets(__dirname),
    protoFiles: [],
  });
  const backends = new Backends(
    config,
    runtime.tokens,
    () => `127.0.0.1:${runtime.grpcPort ?? config.GRPC_PORT}`,
  );
  const tokens = new TokenVerifier({
    baseUrl: config.KEYCLOAK_URL,
    sharedRealm: config.KEYCLOAK_REALM,
    audience: config.OIDC_AUDIENCE,
    dedicatedTenant: config.TENANCY_MODE === 'dedicated' ? config.TENANT_ID : undefined,
  });
  const accessLog = new AccessLogRepository(runtime.db, runtime.log);
  const rateLimitDefaults: RateLimitDefaults = {
    windowSeconds: config.RATE_LIMIT_WINDOW_SECONDS,
    perPrincipal: config.RATE_LIMIT_PER_PRINCIPAL,
    perTenant: config.RATE_LIMIT_PER_TENANT,
    perIp: config.RATE_LIMIT_PER_IP,
  };
  const overrides = new RateLimitOverrides(runtime.db, config.RATE_LIMIT_OVERRIDE_CACHE_MS);
  const rateLimits = new GatewayRateLimits(
    new SharedRateLimiter({ pool: runtime.pool, replicas: config.RATE_LIMIT_REPLICAS }),
    overrides,
    rateLimitDefaults,
    runtime.log,
  );
  const idempotencyKeys = new IdempotencyKeys(runtime.db, { leaseMs: config.IDEMPOTENCY_LEASE_MS });
  const globalPrivacyControl = new GlobalPrivacyControl(backends, runtime.log);
  const apiKeys = new ApiKeys(backends);
  const routes = buildRoutes(
    backends,
    { overrides, defaults: rateLimitDefaults },
    globalPrivacyControl,
    apiKeys,
  );
  let document: object | undefined;
  const recordAccess = (entry: AccessEntry) => accessLog.record(entry);
  // The Twilio-compatible API: the same backends, limits, idempotency store and access log, Twilio's wire.
  const twilio = createTwilioRouter({
    backends,
    apiKeys,
    rateLimits,
    idempotencyKeys,
    recordAccess,
    log: runtime.log,
  });
  const http = createHttpApp({
    routes,
    openApiDocument: () => (document ??= buildOpenApiDocument(routes, version)),
    authenticate: makeAuthenticate(backends, apiKeys, tokens, runtime.log),
    recordAccess,
    onAuthenticated: (caller, request) => globalPrivacyControl.seen(caller, request),
    rateLimits,
    idempotencyKeys,
    trustedProxies: config.TRUSTED_PROXIES,
    mounts: [{ path: TWILIO_API_PREFIX, router: twilio }],
    log: runtime.log,
  });
  let server: Server | undefined;
  return {
    runtime,
    httpPort: () => {
      const address = server?.address();
      return typeof address === 'object' && address ? address.port : undefined;
    },
    start: async () => {
      await runtime.start({ grpcServices: [], publishes: false, participant: gatewayParticipant });
      server = await listen(http, config.PORT, config.HOST);
      runtime.log.info({ port: config.PORT, host: config.HOST }, 'HTTP server listening');
    },
    stop: async () => {
      if (server) await close(server, config.SHUTDOWN_TIMEOUT_MS);
      await accessLog.flush();
      await globalPrivacyControl.settled();
      backends.close();
      await runtime.stop();
    },
    migrate: () => runtime.migrate(),
  };
}
