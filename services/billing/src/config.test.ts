import { describe, expect, it } from '@jest/globals';
import { ConfigError } from '@parley/kit';
import { testTokenEnv } from '../../../tests/support/callers';
import { loadConfig } from './config';

const env = {
  DATABASE_URL: 'postgres://u:p@localhost/db',
  NATS_URL: 'nats://127.0.0.1:4222',
  ...testTokenEnv('billing'),
  SUBJECT_HASH_KEY: 's'.repeat(32),
};

function problemsOf(extra: Record<string, string>): string[] {
  try {
    loadConfig({ ...env, ...extra });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map((problem) => problem.variable);
    throw error;
  }
  return [];
}

describe('billing config', () => {
  it('takes no payments unless a processor is named', () => {
    expect(loadConfig(env)).toMatchObject({ PAYMENT_PROCESSOR: 'none', PAYMENT_WEBHOOK_PORT: 8091 });
  });

  it('names every variable a processor needs and lacks', () => {
    expect(problemsOf({ PAYMENT_PROCESSOR: 'payment-sim' }).sort()).toEqual([
      'PAYMENT_PROCESSOR_SECRET_KEY',
      'PAYMENT_PROCESSOR_URL',
      'PAYMENT_WEBHOOK_SECRET',
    ]);
    expect(
      problemsOf({
        PAYMENT_PROCESSOR: 'payment-sim',
        PAYMENT_PROCESSOR_URL: 'http://127.0.0.1:4020',
        PAYMENT_PROCESSOR_SECRET_KEY: 'sk_test_0123456789abcdef',
        PAYMENT_WEBHOOK_SECRET: 'whsec_0123456789abcdef',
      }),
    ).toEqual([]);
  });

  it('names a bad value', () => {
    expect(problemsOf({ PAYMENT_PROCESSOR: 'cash' })).toEqual(['PAYMENT_PROCESSOR']);
    expect(problemsOf({ PAYMENT_WEBHOOK_PORT: '99999' })).toEqual(['PAYMENT_WEBHOOK_PORT']);
    expect(problemsOf({ PAYMENT_PROCESSOR_URL: 'ftp://pay.example' })).toEqual(['PAYMENT_PROCESSOR_URL']);
    expect(problemsOf({ PAYMENT_WEBHOOK_SECRET: 'short' })).toEqual(['PAYMENT_WEBHOOK_SECRET']);
  });
});
