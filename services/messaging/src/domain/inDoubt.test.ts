import { describe, expect, it } from '@jest/globals';
import { echoHash, echoHashes, quotedText } from './inDoubt';

describe('quotedText', () => {
  it('compares the first 20 characters, keeping letters, digits and spaces', () => {
    expect(quotedText('Your code is 123456, valid 10 minutes')).toBe('Your code is 123456.');
  });

  it('reads what carriers do to other characters the same way: each is one `.`', () => {
    // The simulator (like many SMSCs) writes characters outside the GSM/ASCII common set as `.`.
    expect(quotedText('Total: €5 — thanks!')).toBe(quotedText('Total. .5 . thanks.'));
    expect(quotedText('Grüße 👋')).toBe('Gr..e .');
  });

  it('drops trailing spaces a carrier may trim', () => {
    expect(quotedText('hello   ')).toBe('hello');
  });
});

describe('echo hashes', () => {
  const echo = { from: '+14155550123', to: '+447911123456', text: 'drill 12' };
  it('are the same for the part sent and the receipt that quotes it, and differ for another message', () => {
    const keys = 'a-key';
    expect(echoHashes(keys, { ...echo, text: 'drill 12   ' })).toContain(echoHash(keys, echo));
    expect(echoHashes(keys, { ...echo, to: '+447911123457' })).not.toContain(echoHash(keys, echo));
    expect(echoHashes(keys, { ...echo, text: 'drill 13' })).not.toContain(echoHash(keys, echo));
  });

  it('match a receipt kept under an earlier key', () => {
    const before = echoHash('old-key', echo);
    expect(echoHashes({ current: 'new-key', previous: ['old-key'] }, echo)).toContain(before);
    expect(echoHash('new-key', echo)).not.toBe(before);
  });

  it('never hold the numbers or the text', () => {
    expect(echoHash('a-key', echo)).toMatch(/^[0-9a-f]{64}$/);
  });
});
