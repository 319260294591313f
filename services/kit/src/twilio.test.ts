import { describe, expect, it } from '@jest/globals';
import twilio from 'twilio';
import { twilioAccountSid, twilioFormattedNumber, twilioSignature } from './twilio';

describe('twilioSignature', () => {
  const token = '12345';
  const url = 'https://example.com/sms?tenant=a';
  const params = { To: '+14155550123', From: '+447911123456', Body: 'Hi & bye', NumMedia: '0' };

  it("passes the official library's validateRequest, and only with the same token, URL and parameters", () => {
    const signature = twilioSignature(token, url, params);
    expect(twilio.validateRequest(token, signature, url, params)).toBe(true);
    expect(twilio.validateRequest('54321', signature, url, params)).toBe(false);
    expect(twilio.validateRequest(token, signature, `${url}&x=1`, params)).toBe(false);
    expect(twilio.validateRequest(token, signature, url, { ...params, Body: 'Hi' })).toBe(false);
  });

  it('does not depend on the order the parameters were given in', () => {
    const reversed = Object.fromEntries(Object.entries(params).reverse());
    expect(twilioSignature(token, url, reversed)).toBe(twilioSignature(token, url, params));
  });
});

describe('twilioAccountSid', () => {
  it('is AC and 32 hex digits, stable per tenant', () => {
    expect(twilioAccountSid('acme')).toMatch(/^AC[0-9a-f]{32}$/);
    expect(twilioAccountSid('acme')).toBe(twilioAccountSid('acme'));
    expect(twilioAccountSid('acme-2')).not.toBe(twilioAccountSid('acme'));
  });
});

describe('twilioFormattedNumber', () => {
  it('formats North American numbers nationally and others internationally', () => {
    expect(twilioFormattedNumber('+14155550123')).toBe('(415) 555-0123');
    expect(twilioFormattedNumber('+447911123456')).toBe('+44 7911 123456');
    expect(twilioFormattedNumber('anonymous')).toBe('anonymous');
  });
});
