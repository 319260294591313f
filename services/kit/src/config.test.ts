import { describe, expect, it } from '@jest/globals';
import { ConfigError, parseEnv, serviceEnv, serviceEnvSchema, z } from './config';
import { generateInternalTokenKeyPair } from './auth/internalToken';

const gatewayKeys = generateInternalTokenKeyPair('gateway');

const valid = {
  DATABASE_URL: 'postgres://u:p@localhost/db',
  NATS_URL: 'nats://127.0.0.1:4222',
  INTERNAL_TOKEN_PRIVATE_KEY: gatewayKeys.privateKey,
  INTERNAL_TOKEN_PUBLIC_KEYS: JSON.stringify({ keys: [gatewayKeys.publicJwk] }),
  SUBJECT_HASH_KEY: 's'.repeat(32),
};

function problemsOf(env: Record<string, string | undefined>, schema: z.ZodType = serviceEnvSchema) {
  try {
    parseEnv(schema, env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('parseEnv', () => {
  it('applies defaults to a minimal environment', () => {
    expect(parseEnv(serviceEnvSchema, valid)).toMatchObject({
      GRPC_PORT: 50051,
      METRICS_PORT: 9464,
      MIGRATIONS: 'apply',
      TENANCY_MODE: 'pooled',
    });
  });

  it('names every missing and every malformed variable', () => {
    const problems = problemsOf({ DATABASE_URL: 'mysql://nope', GRPC_PORT: 'eighty', LOG_LEVEL: 'loud' });
    expect(problems.map((problem) => problem.variable).sort()).toEqual([
      'DATABASE_URL',
      'GRPC_PORT',
      'INTERNAL_TOKEN_PRIVATE_KEY',
      'INTERNAL_TOKEN_PUBLIC_KEYS',
      'LOG_LEVEL',
      'NATS_URL',
      'SUBJECT_HASH_KEY',
    ]);

    expect(problems.find((problem) => problem.variable === 'NATS_URL')?.message).toBe('is required');
    expect(problems.find((problem) => problem.variable === 'DATABASE_URL')?.message).toMatch(/postgres/);
    expect(problems.find((problem) => problem.variable === 'GRPC_PORT')?.message).toBe(
      'must be a TCP port number (0-65535)',
    );
  });

  it('names a bad internal-token key or key set, and a short previous subject hash key', () => {
    const problems = problemsOf({
      ...valid,
      INTERNAL_TOKEN_PRIVATE_KEY: 'k'.repeat(40),
      INTERNAL_TOKEN_PUBLIC_KEYS: JSON.stringify({ keys: [{ ...gatewayKeys.publicJwk, kid: 'privacy' }] }),
      SUBJECT_HASH_KEYS_PREVIOUS: `${'p'.repeat(32)},short`,
    });
    expect(problems.map((problem) => problem.variable).sort()).toEqual([
      'INTERNAL_TOKEN_PRIVATE_KEY',
      'INTERNAL_TOKEN_PUBLIC_KEYS',
      'SUBJECT_HASH_KEYS_PREVIOUS',
    ]);
    expect(problems.find((problem) => problem.variable === 'INTERNAL_TOKEN_PRIVATE_KEY')?.message).toMatch(
      /Ed25519 private key/,
    );
    expect(problems.find((problem) => problem.variable === 'INTERNAL_TOKEN_PUBLIC_KEYS')?.message).toMatch(
      /gateway/,
    );
    expect(
      parseEnv(serviceEnvSchema, {
        ...valid,
        SUBJECT_HASH_KEYS_PREVIOUS: `${'p'.repeat(32)}, ${'q'.repeat(32)}`,
      }).SUBJECT_HASH_KEYS_PREVIOUS,
    ).toEqual(['p'.repeat(32), 'q'.repeat(32)]);
  });

  it('reads the event settings, and names a bad backoff list or a max deliver that does not exceed it', () => {
    expect(parseEnv(serviceEnvSchema, { ...valid, EVENT_BACKOFF_MS: '200, 1000' })).toMatchObject({
      EVENT_BACKOFF_MS: [200, 1000],
      EVENT_MAX_DELIVER: 200,
      NATS_STREAM_MAX_AGE_HOURS: 168,
      NATS_STREAM_MAX_BYTES: -1,
      DEAD_LETTER_RETENTION_DAYS: 14,
    });
    expect(problemsOf({ ...valid, EVENT_BACKOFF_MS: '1s,2s' }).map((problem) => problem.variable)).toEqual([
      'EVENT_BACKOFF_MS',
    ]);
    expect(
      problemsOf({ ...valid, EVENT_BACKOFF_MS: '1000,2000,3000', EVENT_MAX_DELIVER: '3' }).map(
        (problem) => problem.variable,
      ),
    ).toEqual(['EVENT_MAX_DELIVER']);
    expect(problemsOf({ ...valid, NATS_STREAM_MAX_BYTES: '0' }).map((problem) => problem.variable)).toEqual([
      'NATS_STREAM_MAX_BYTES',
    ]);
  });

  it('treats an empty value as unset, so the default applies', () => {
    expect(parseEnv(serviceEnvSchema, { ...valid, GRPC_PORT: '' }).GRPC_PORT).toBe(50051);
  });

  it('requires TENANT_ID in dedicated mode', () => {
    expect(problemsOf({ ...valid, TENANCY_MODE: 'dedicated' })).toEqual([
      { variable: 'TENANT_ID', message: 'is required when TENANCY_MODE=dedicated' },
    ]);
    expect(
      parseEnv(serviceEnvSchema, { ...valid, TENANCY_MODE: 'dedicated', TENANT_ID: 'acme' }).TENANT_ID,
    ).toBe('acme');
  });

  it('takes a NATS user and password together, and not with a creds file', () => {
    expect(
      parseEnv(serviceEnvSchema, { ...valid, NATS_USER: 'billing', NATS_PASSWORD: 'secret' }),
    ).toMatchObject({
      NATS_USER: 'billing',
      NATS_PASSWORD: 'secret',
    });
    expect(problemsOf({ ...valid, NATS_USER: 'billing' }).map((problem) => problem.variable)).toEqual([
      'NATS_PASSWORD',
    ]);
    expect(problemsOf({ ...valid, NATS_PASSWORD: 'secret' }).map((problem) => problem.variable)).toEqual([
      'NATS_USER',
    ]);
    expect(
      problemsOf({ ...valid, NATS_USER: 'billing', NATS_PASSWORD: 'secret', NATS_CREDS_FILE: '/creds' }),
    ).toEqual([{ variable: 'NATS_CREDS_FILE', message: expect.stringMatching(/NATS_USER/) }]);
  });

  it("validates a service's own variables alongside the shared ones", () => {
    const schema = serviceEnv({ CURRENCY: z.string().regex(/^[A-Z]{3}$/, 'must be ISO 4217') });
    expect(problemsOf({ ...valid, CURRENCY: 'dollars' }, schema)).toEqual([
      { variable: 'CURRENCY', message: 'must be ISO 4217' },
    ]);
  });

  it('says which variables are wrong in its message', () => {
    expect(() => parseEnv(serviceEnvSchema, {})).toThrow(
      /DATABASE_URL: is required[\s\S]*NATS_URL: is required/,
    );
  });
});
