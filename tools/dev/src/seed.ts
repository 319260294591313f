import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { call, callerMetadata, createClient } from '@parley/kit';
import { identityV1 } from '@parley/proto';

export interface DevCredentials {
  gatewayUrl: string;
  tenantId: string;
  apiKey: string;
}

export const DEMO_TENANT = 'demo';

/**
 * Makes sure the demo tenant exists and that dev.json holds a working API key for it: a key from an
 * earlier run is reused while identity still accepts it; otherwise a new one is made and written.
 */
export async function seedDemoTenant(options: {
  identityAddress: string;
  gatewayUrl: string;
  devFile: string;
}): Promise<{ credentials: DevCredentials; reused: boolean }> {
  const client = createClient(identityV1.IdentityServiceClient, options.identityAddress, {
    serviceName: 'parley.identity.v1.IdentityService',
    idempotentMethods: ['CreateTenant', 'AuthenticateApiKey'],
  });
  try {
    const previous = existsSync(options.devFile)
      ? (JSON.parse(readFileSync(options.devFile, 'utf8')) as Partial<DevCredentials>)
      : undefined;
    if (previous?.apiKey && previous.tenantId === DEMO_TENANT) {
      const stillValid = await call(client, client.authenticateApiKey, { secret: previous.apiKey }).then(
        (response) => response.apiKey?.tenantId === DEMO_TENANT,
        () => false,
      );
      if (stillValid) {
        const credentials = {
          gatewayUrl: options.gatewayUrl,
          tenantId: DEMO_TENANT,
          apiKey: previous.apiKey,
        };
        writeFileSync(options.devFile, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
        return { credentials, reused: true };
      }
    }
    await call(client, client.createTenant, {
      id: DEMO_TENANT,
      name: 'Demo Tenant',
      tenancyMode: identityV1.TenancyMode.TENANCY_MODE_POOLED,
      jurisdiction: identityV1.Jurisdiction.JURISDICTION_GDPR,
    });
    const created = await call(
      client,
      client.createApiKey,
      { name: 'npm start demo key', scopes: ['*'] },
      { metadata: callerMetadata({ tenantId: DEMO_TENANT, principal: 'dev-launcher', scopes: ['*'] }) },
    );
    const credentials = { gatewayUrl: options.gatewayUrl, tenantId: DEMO_TENANT, apiKey: created.secret };
    writeFileSync(options.devFile, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
    return { credentials, reused: false };
  } finally {
    client.close();
  }
}
