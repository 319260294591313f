import { describe, expect, it } from '@jest/globals';
import { identifierHashes, matchingHashes, valueHashes } from './subjects';

describe('valueHashes', () => {
  const phone = '+447700900001';
  const subject = { accountIds: [], emails: [], phones: [phone], userIds: [] };
  const keys = { current: 'the-current-key', previous: ['an-older-key'] };

  it('makes the hash identifierHashes makes of the same identifier, under every key, current first', () => {
    expect(valueHashes(keys, 'acme', 'phone', phone)).toEqual(matchingHashes(keys, 'acme', subject));
    expect(valueHashes(keys, 'acme', 'phone', ` ${phone} `)[0]).toBe(
      identifierHashes(keys, 'acme', subject)[0],
    );
  });

  it('differs by kind and by tenant, and holds nothing of the value', () => {
    const [ip] = valueHashes('k', 'acme', 'ip', '203.0.113.7');
    expect(ip).not.toBe(valueHashes('k', 'acme', 'phone', '203.0.113.7')[0]);
    expect(ip).not.toBe(valueHashes('k', 'other', 'ip', '203.0.113.7')[0]);
    expect(ip).toMatch(/^[0-9a-f]{64}$/);
  });
});
