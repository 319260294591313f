// Boots every backend service and the gateway in this process, on one NATS prefix, each with its own
// database: the whole platform behind one HTTP port, for integration tests across services.
import { call, createClient, type App, type ServiceRuntime } from '@parley/kit';
import { identityV1 } from '@parley/proto';
import { asPlatform } from './callers';
import { startService, type RunningService } from './service';
import { uniquePrefix } from './infra';
import { startCarrierSim, type CarrierSimHandle } from './carrierSim';
import { freePort } from '../../tools/dev/src/ports';
import { startIdentity, type IdentityApp } from '../../services/identity/test/integration/identityForTests';
import { buildApp as buildNumbering } from '../../services/numbering/src/app';
import { loadConfig as numberingConfig } from '../../services/numbering/src/config';
import { buildApp as buildMessaging } from '../../services/messaging/src/app';
import { loadConfig as messagingConfig } from '../../services/messaging/src/config';
import { buildApp as buildBilling } from '../../services/billing/src/app';
import { loadConfig as billingConfig } from '../../services/billing/src/config';
import { buildApp as buildPrivacy } from '../../services/privacy/src/app';
import { loadConfig as privacyConfig } from '../../services/privacy/src/config';
import { buildApp as buildGateway, type GatewayApp } from '../../services/gateway/src/app';
import { loadConfig as gatewayConfig } from '../../services/gateway/src/config';

type AnyApp = App & { runtime: ServiceRuntime };

export interface Platform {
  baseUrl: string;
  gateway: RunningService<GatewayApp>;
  identity: RunningService<IdentityApp>;
  backends: Record<'identity' | 'numbering' | 'messaging' | 'billing' | 'privacy', RunningService<AnyApp>>;
  /** Base URL of the embedded identity provider (the issuer is <url>/realms/parley). */
  issuerBaseUrl: string;
  /** The carrier simulator numbering buys and ports numbers from (its own process). */
  carrier: CarrierSimHandle;
  stop(): Promise<void>;
}

/**
 * `privacyEnv`, `messagingEnv`: variables those services get besides (or instead of) the defaults below.
 * Messaging posts webhooks to receivers on loopback, as in dev mode.
 */
export async function startPlatform(
  options: {
    privacyEnv?: Record<string, string>;
    messagingEnv?: Record<string, string>;
    /** Messaging asks billing to authorise each send (BILLING_ADDR), as under `npm start`. */
    billingAuthorises?: boolean;
  } = {},
): Promise<Platform> {
  const NATS_PREFIX = uniquePrefix('gw');
  // Privacy and the gateway name each other (participant and backend), so their ports are chosen first.
  const [gatewayPort, privacyPort, httpPort] = [await freePort(), await freePort(), await freePort()];
  const carrier = await startCarrierSim();
  const identity = await startIdentity({ NATS_PREFIX });
  const issuerBaseUrl = identity.app.idp
    .tokenUrl('parley')
    .replace('/realms/parley/protocol/openid-connect/token', '');
  const numbering = await startService('numbering', (env) => buildNumbering(numberingConfig(env)), {
    NATS_PREFIX,
    ...carrier.env,
  });
  // Billing first when messaging is to ask it before each send.
  const billing = await startService('billing', (env) => buildBilling(billingConfig(env)), { NATS_PREFIX });
  const messaging = await startService('messaging', (env) => buildMessaging(messagingConfig(env)), {
    NATS_PREFIX,
    ...(options.billingAuthorises ? { BILLING_ADDR: billing.address } : {}),
    NUMBERING_ADDR: numbering.address,
    IDENTITY_ADDR: identity.address,
    ...carrier.messagingEnv,
    WEBHOOK_ALLOW_PRIVATE: 'true',
    ...options.messagingEnv,
  });
  const backends = {
    identity,
    numbering,
    messaging,
    billing,
    privacy: await startService('privacy', (env) => buildPrivacy(privacyConfig(env)), {
      NATS_PREFIX,
      GRPC_PORT: String(privacyPort),
      IDENTITY_ADDR: identity.address,
      PRIVACY_PARTICIPANTS: `identity=${identity.address},numbering=${numbering.address},messaging=${messaging.address},billing=${billing.address},gateway=127.0.0.1:${gatewayPort},privacy=127.0.0.1:${privacyPort}`,
      PRIVACY_ARCHIVE_KEY: 'test-archive-key-0123456789abcdefghijkl',
      DEADLINE_SCAN_CRON: 'off',
      RETENTION_RUN_AT: 'off',
      ...options.privacyEnv,
    }),
  };
  const gatewayEnv = {
    NATS_PREFIX,
    GRPC_PORT: String(gatewayPort),
    PORT: String(httpPort),
    HOST: '127.0.0.1',
    READINESS_TIMEOUT_MS: '500',
    IDENTITY_ADDR: backends.identity.address,
    NUMBERING_ADDR: backends.numbering.address,
    MESSAGING_ADDR: backends.messaging.address,
    BILLING_ADDR: backends.billing.address,
    PRIVACY_ADDR: backends.privacy.address,
    KEYCLOAK_URL: issuerBaseUrl,
    KEYCLOAK_REALM: 'parley',
  };
  const gateway = await startService('gateway', (env) => buildGateway(gatewayConfig(env)), gatewayEnv);
  return {
    baseUrl: `http://127.0.0.1:${gateway.app.httpPort()}`,
    gateway,
    identity,
    backends,
    issuerBaseUrl,
    carrier,
    stop: async () => {
      // The simulator is a process of its own: it is stopped even when a service's stop fails.
      try {
        await gateway.stop();
        await Promise.all(Object.values(backends).map((backend) => backend.stop()));
      } finally {
        await carrier.stop();
      }
    },
  };
}

/**
 * A gRPC client of the platform's identity service and a fresh `platform:admin` API key made through it:
 * how a gateway suite gets the operator's credential to create its tenants over HTTP.
 */
export async function platformOperator(platform: Platform) {
  const identity = createClient(identityV1.IdentityServiceClient, platform.identity.address, {
    serviceName: 'parley.identity.v1.IdentityService',
  });
  const { secret } = await call(
    identity,
    identity.createApiKey,
    { name: 'ops', scopes: ['platform:admin'] },
    await asPlatform(),
  );
  return { identity, adminKey: secret };
}
