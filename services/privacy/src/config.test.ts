import { describe, expect, it } from '@jest/globals';
import { ConfigError } from '@parley/kit';
import { testTokenEnv } from '../../../tests/support/callers';
import { loadConfig } from './config';

const env = {
  DATABASE_URL: 'postgres://u:p@localhost/db',
  NATS_URL: 'nats://127.0.0.1:4222',
  ...testTokenEnv('privacy'),
  SUBJECT_HASH_KEY: 's'.repeat(32),
  IDENTITY_ADDR: '127.0.0.1:50051',
  PRIVACY_PARTICIPANTS: 'privacy=127.0.0.1:50055',
  PRIVACY_ARCHIVE_KEY: 'a'.repeat(32),
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

describe('privacy config', () => {
  it('keeps verification codes to minutes and caps third-party requests by default', () => {
    expect(loadConfig(env)).toMatchObject({
      VERIFICATION_CODE_TTL_MINUTES: 15,
      PRIVACY_REQUESTS_PER_REQUESTER_PER_DAY: 10,
      PRIVACY_CODES_PER_SUBJECT_PER_DAY: 3,
      VERIFICATION_ATTEMPTS_PER_DAY: 10,
    });
  });

  it('refuses a code lifetime of more than an hour, and a cap that is not a positive whole number', () => {
    expect(problemsOf({ VERIFICATION_CODE_TTL_MINUTES: '1440' })).toEqual(['VERIFICATION_CODE_TTL_MINUTES']);
    for (const name of [
      'PRIVACY_REQUESTS_PER_REQUESTER_PER_DAY',
      'PRIVACY_CODES_PER_SUBJECT_PER_DAY',
      'VERIFICATION_ATTEMPTS_PER_DAY',
    ]) {
      expect(problemsOf({ [name]: '0' })).toEqual([name]);
      expect(problemsOf({ [name]: '2.5' })).toEqual([name]);
    }
  });
});
