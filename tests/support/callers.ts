import type { Metadata } from '@grpc/grpc-js';
import { callerMetadata, InternalTokens } from '@parley/kit';

/** The internal token key every service under test shares. */
export const TEST_INTERNAL_TOKEN_KEY = 'test-internal-token-key-0123456789abcdef';
export const testTokens = new InternalTokens(TEST_INTERNAL_TOKEN_KEY);

/** SUBJECT_HASH_KEY of every service under test: compute expected subject hashes with it. */
export const TEST_SUBJECT_HASH_KEY = 'test-subject-hash-key-0123456789abcdefgh';

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
