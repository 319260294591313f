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
  it('reads the retention periods by country and names the variable when one is malformed', () => {
    expect(loadConfig({ ...env, BILLING_RETENTION_YEARS: 'CH=10, AT=9' })).toMatchObject({
      BILLING_RETENTION_YEARS: { CH: 10, AT: 9 },
      BILLING_RETENTION_DEFAULT_YEARS: 7,
    });
    expect(loadConfig(env).BILLING_RETENTION_YEARS).toEqual({});
    for (const bad of ['DE', 'de=10', 'DE=0', 'DE=31', 'DE=ten'])
      expect(problemsOf({ BILLING_RETENTION_YEARS: bad })).toEqual(['BILLING_RETENTION_YEARS']);
    expect(problemsOf({ BILLING_RETENTION_DEFAULT_YEARS: '0' })).toEqual(['BILLING_RETENTION_DEFAULT_YEARS']);
  });

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

  it('issues invoices 72 hours after a month ends, from the seller Parley, unless told otherwise', () => {
    expect(loadConfig(env)).toMatchObject({
      INVOICE_GRACE_HOURS: 72,
      INVOICE_SELLER_NAME: 'Parley',
      INVOICE_SELLER_ADDRESS: '',
      INVOICE_SELLER_TAX_ID: '',
    });
    expect(loadConfig({ ...env, INVOICE_GRACE_HOURS: '0' }).INVOICE_GRACE_HOURS).toBe(0);
  });

  it('names the variable of a grace that is not 0-720 whole hours, or a seller name over 200 characters', () => {
    for (const value of ['-1', '721', '1.5', 'soon']) {
      expect(problemsOf({ INVOICE_GRACE_HOURS: value })).toEqual(['INVOICE_GRACE_HOURS']);
    }
    expect(problemsOf({ INVOICE_SELLER_NAME: 'x'.repeat(201) })).toEqual(['INVOICE_SELLER_NAME']);
  });
});
