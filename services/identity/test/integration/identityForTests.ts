// Lets integration tests (this service's and others') boot a real identity service, with its embedded
// identity provider on a free port. Services never import each other's code; tests may.
import { freePort } from '../../../../tools/dev/src/ports';
import { startService, type RunningService } from '../../../../tests/support/service';
import { buildApp, type IdentityApp } from '../../src/app';
import { loadConfig } from '../../src/config';

export type { IdentityApp };

/** The pepper identity under test hashes API keys with. */
export const TEST_API_KEY_PEPPER = 'test-api-key-pepper-0123456789abcdefghij';

export async function startIdentity(
  extraEnv: Record<string, string> = {},
  overrides: Parameters<typeof buildApp>[1] = {},
): Promise<RunningService<IdentityApp>> {
  const port = await freePort();
  return startService('identity', (env) => buildApp(loadConfig(env), overrides), {
    IDENTITY_PROVIDER: 'embedded',
    API_KEY_PEPPER: TEST_API_KEY_PEPPER,
    EMBEDDED_IDP_HOST: '127.0.0.1',
    EMBEDDED_IDP_PORT: String(port),
    EMBEDDED_IDP_PUBLIC_URL: `http://127.0.0.1:${port}`,
    ...extraEnv,
  });
}

/** Where the embedded provider issues tokens for a realm. */
export function tokenUrl(identity: RunningService<IdentityApp>, realm = 'parley'): string {
  return identity.app.idp.tokenUrl(realm);
}
