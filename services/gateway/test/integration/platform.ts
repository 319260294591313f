// Boots every backend service and the gateway in this process, on one NATS prefix, each with its own
// database: the whole platform behind one HTTP port, for the gateway's integration tests.
import type { App, ServiceRuntime } from '@parley/kit';
import { startService, type RunningService } from '../../../../tests/support/service';
import { uniquePrefix } from '../../../../tests/support/infra';
import { startIdentity, type IdentityApp } from '../../../identity/test/integration/identityForTests';
import { buildApp as buildNumbering } from '../../../numbering/src/app';
import { loadConfig as numberingConfig } from '../../../numbering/src/config';
import { buildApp as buildMessaging } from '../../../messaging/src/app';
import { loadConfig as messagingConfig } from '../../../messaging/src/config';
import { buildApp as buildBilling } from '../../../billing/src/app';
import { loadConfig as billingConfig } from '../../../billing/src/config';
import { buildApp as buildPrivacy } from '../../../privacy/src/app';
import { loadConfig as privacyConfig } from '../../../privacy/src/config';
import { buildApp as buildGateway, type GatewayApp } from '../../src/app';
import { loadConfig as gatewayConfig } from '../../src/config';

type AnyApp = App & { runtime: ServiceRuntime };

export interface Platform {
  baseUrl: string;
  gateway: RunningService<GatewayApp>;
  identity: RunningService<IdentityApp>;
  backends: Record<'identity' | 'numbering' | 'messaging' | 'billing' | 'privacy', RunningService<AnyApp>>;
  /** Base URL of the embedded identity provider (the issuer is <url>/realms/parley). */
  issuerBaseUrl: string;
  stop(): Promise<void>;
}

export async function startPlatform(): Promise<Platform> {
  const NATS_PREFIX = uniquePrefix('gw');
  const identity = await startIdentity({ NATS_PREFIX });
  const issuerBaseUrl = identity.app.idp
    .tokenUrl('parley')
    .replace('/realms/parley/protocol/openid-connect/token', '');
  const backends = {
    identity,
    numbering: await startService('numbering', (env) => buildNumbering(numberingConfig(env)), {
      NATS_PREFIX,
    }),
    messaging: await startService('messaging', (env) => buildMessaging(messagingConfig(env)), {
      NATS_PREFIX,
    }),
    billing: await startService('billing', (env) => buildBilling(billingConfig(env)), { NATS_PREFIX }),
    privacy: await startService('privacy', (env) => buildPrivacy(privacyConfig(env)), { NATS_PREFIX }),
  };
  const gateway = await startService('gateway', (env) => buildGateway(gatewayConfig(env)), {
    NATS_PREFIX,
    PORT: '0',
    HOST: '127.0.0.1',
    READINESS_TIMEOUT_MS: '500',
    IDENTITY_ADDR: backends.identity.address,
    NUMBERING_ADDR: backends.numbering.address,
    MESSAGING_ADDR: backends.messaging.address,
    BILLING_ADDR: backends.billing.address,
    PRIVACY_ADDR: backends.privacy.address,
    KEYCLOAK_URL: issuerBaseUrl,
    KEYCLOAK_REALM: 'parley',
  });
  return {
    baseUrl: `http://127.0.0.1:${gateway.app.httpPort()}`,
    gateway,
    identity,
    backends,
    issuerBaseUrl,
    stop: async () => {
      await gateway.stop();
      await Promise.all(Object.values(backends).map((backend) => backend.stop()));
    },
  };
}
