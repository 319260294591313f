import { describe, expect, it } from '@jest/globals';
import { canonicalJson, isValidIdempotencyKey, requestFingerprint } from './idempotencyKeys';

describe('isValidIdempotencyKey', () => {
  it('accepts 1 to 255 printable ASCII characters and nothing else', () => {
    expect(isValidIdempotencyKey('5f2b1c9e-8d3a-4c1e-9f7a-2b6d0e4a1c33')).toBe(true);
    expect(isValidIdempotencyKey('order 42 / retry')).toBe(true);
    expect(isValidIdempotencyKey('x'.repeat(255))).toBe(true);
    expect(isValidIdempotencyKey('')).toBe(false);
    expect(isValidIdempotencyKey('x'.repeat(256))).toBe(false);
    expect(isValidIdempotencyKey('tab\there')).toBe(false);
    expect(isValidIdempotencyKey('clé')).toBe(false);
  });
});

describe('requestFingerprint', () => {
  const base = { method: 'post', path: '/v1/api-keys', tenantId: 'acme', principal: 'api-key:1' };

  it('is the same for the same body in any key order', () => {
    expect(canonicalJson({ b: [2, { d: 1, c: 0 }], a: 1 })).toBe('{"a":1,"b":[2,{"c":0,"d":1}]}');
    expect(requestFingerprint({ ...base, body: { a: 1, b: 2 } })).toBe(
      requestFingerprint({ ...base, method: 'POST', body: { b: 2, a: 1 } }),
    );
  });

  it('differs when the body, path, tenant or principal differs', () => {
    const first = requestFingerprint({ ...base, body: { a: 1 } });
    expect(requestFingerprint({ ...base, body: { a: 2 } })).not.toBe(first);
    expect(requestFingerprint({ ...base, path: '/v1/accounts', body: { a: 1 } })).not.toBe(first);
    expect(requestFingerprint({ ...base, tenantId: 'globex', body: { a: 1 } })).not.toBe(first);
    expect(requestFingerprint({ ...base, principal: 'api-key:2', body: { a: 1 } })).not.toBe(first);
  });
});
