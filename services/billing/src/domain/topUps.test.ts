import { describe, expect, it } from '@jest/globals';
import { nextTopUpStatus } from './topUps';

const succeeded = { status: 'succeeded' } as const;
const failed = { status: 'failed', failureCode: 'insufficient_funds', failureMessage: 'no' } as const;
const requiresAction = { status: 'requires_action', actionUrl: 'https://bank.example/3ds' } as const;

describe('nextTopUpStatus', () => {
  it('moves a pending top-up to whatever the charge says', () => {
    expect(nextTopUpStatus('pending', succeeded)).toBe('succeeded');
    expect(nextTopUpStatus('pending', failed)).toBe('failed');
    expect(nextTopUpStatus('pending', requiresAction)).toBe('requires_action');
  });

  it('settles a top-up waiting for the cardholder', () => {
    expect(nextTopUpStatus('requires_action', succeeded)).toBe('succeeded');
    expect(nextTopUpStatus('requires_action', failed)).toBe('failed');
  });

  it('ignores news that is repeated or older than what is known (webhooks out of order)', () => {
    expect(nextTopUpStatus('requires_action', requiresAction)).toBeUndefined();
    expect(nextTopUpStatus('succeeded', requiresAction)).toBeUndefined();
    expect(nextTopUpStatus('failed', requiresAction)).toBeUndefined();
  });

  it('never leaves a final state, so a success is credited once', () => {
    expect(nextTopUpStatus('succeeded', succeeded)).toBeUndefined();
    expect(nextTopUpStatus('succeeded', failed)).toBeUndefined();
    expect(nextTopUpStatus('failed', succeeded)).toBeUndefined();
  });
});
