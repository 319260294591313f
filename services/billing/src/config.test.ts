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
