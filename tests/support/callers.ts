import type { Metadata } from '@grpc/grpc-js';
import { callerMetadata, generateInternalTokenKeyPair, InternalTokens } from '@parley/kit';

/** The services under test; each gets its own internal-token key pair, made once per test file. */
export const TEST_SERVICES = ['gateway', 'identity', 'numbering', 'messaging', 'billing', 'privacy'] as const;

/** Every service's Ed25519 key pair, as INTERNAL_TOKEN_PRIVATE_KEY (JWK JSON) and its public JWK. */
export const TEST_INTERNAL_TOKEN_KEYS = Object.fromEntries(
  TEST_SERVICES.map((service) => [service, generateInternalTokenKeyPair(service)]),
) as Record<(typeof TEST_SERVICES)[number], ReturnType<typeof generateInternalTokenKeyPair>>;

/** INTERNAL_TOKEN_PUBLIC_KEYS of every service under test. */
export const TEST_INTERNAL_TOKEN_PUBLIC_KEYS = JSON.stringify({
  keys: Object.values(TEST_INTERNAL_TOKEN_KEYS).map((pair) => pair.publicJwk),
});

/**
 * The internal-token environment of a service under test, by its label (`privacy`, `privacy-b`, ...); a
 * label that names no service gets the gateway's key.
 */
export function testTokenEnv(label: string): Record<string, string> {
  const service = TEST_SERVICES.find((name) => label.startsWith(name)) ?? 'gateway';
  return {
    INTERNAL_TOKEN_PRIVATE_KEY: TEST_INTERNAL_TOKEN_KEYS[service].privateKey,
    INTERNAL_TOKEN_PUBLIC_KEYS: TEST_INTERNAL_TOKEN_PUBLIC_KEYS,
  };
}

/** Tokens as `service` signs them (only the gateway's may assert any caller). */
export function tokensOf(service: (typeof TEST_SERVICES)[number]): InternalTokens {
  return new InternalTokens({
    issuer: service,
    privateKey: TEST_INTERNAL_TOKEN_KEYS[service].privateKey,
    publicKeys: TEST_INTERNAL_TOKEN_PUBLIC_KEYS,
  });
}

/** The gateway's tokens: what `as` and `asPlatform` sign with. */
export const testTokens = tokensOf('gateway');

/** SUBJECT_HASH_KEY of every service under test: compute expected subject hashes with it. */
export const TEST_SUBJECT_HASH_KEY = 'test-subject-hash-key-0123456789abcdefgh';
/** The subject hash key used to be the internal token key; tests that hash subjects may still use this name. */
export const TEST_INTERNAL_TOKEN_KEY = TEST_SUBJECT_HASH_KEY;

/** Call options carrying a signed caller, as the gateway would send them. */
export async function as(
  tenantId: string,
  scopes: string[] = ['*'],
  principal = 'test',
): Promise<{ metadata: Metadata }> {
  return { metadata: await callerMetadata(testTokens, { tenantId, principal, scopes }) };
}

/** A platform admin (creates tenants). */
export const asPlatform = () => as('platform', ['*', 'platform:admin'], 'test-admin');
