import { describe, expect, it } from '@jest/globals';
import { generateTwilioAuthToken, isTwilioAccountSid, tokensMatch, twilioAccountSid } from './twilio';

describe('twilioAccountSid', () => {
  it('is AC and 32 hex digits, the same for a tenant every time and different between tenants', () => {
    const sid = twilioAccountSid('acme');
    expect(sid).toMatch(/^AC[0-9a-f]{32}$/);
    expect(isTwilioAccountSid(sid)).toBe(true);
    expect(twilioAccountSid('acme')).toBe(sid);
    expect(twilioAccountSid('acme-2')).not.toBe(sid);
  });

  it('rejects what is not an Account SID', () => {
    expect(isTwilioAccountSid('AC123')).toBe(false);
    expect(isTwilioAccountSid(`SK${'0'.repeat(32)}`)).toBe(false);
  });
});

describe('auth tokens', () => {
  it('are 32 random hex digits', () => {
    const token = generateTwilioAuthToken();
    expect(token).toMatch(/^[0-9a-f]{32}$/);
    expect(generateTwilioAuthToken()).not.toBe(token);
  });

  it('match only themselves', () => {
    const token = generateTwilioAuthToken();
    expect(tokensMatch(token, token)).toBe(true);
    expect(tokensMatch(token, generateTwilioAuthToken())).toBe(false);
    expect(tokensMatch(token.slice(1), token)).toBe(false);
  });
});
