import { describe, expect, it } from '@jest/globals';
import { grants, isScope } from './scopes';

describe('grants', () => {
  it('grants what is held, everything to *, and reads to the matching write', () => {
    expect(grants(['numbers:read'], 'numbers:read')).toBe(true);
    expect(grants(['*'], 'privacy:write')).toBe(true);
    expect(grants(['numbers:write'], 'numbers:read')).toBe(true);
    expect(grants(['numbers:read'], 'numbers:write')).toBe(false);
    expect(grants(['messages:write'], 'numbers:read')).toBe(false);
    expect(grants([], 'tenant:read')).toBe(false);
  });
});

describe('isScope', () => {
  it('knows the catalogue', () => {
    expect(isScope('billing:read')).toBe(true);
    expect(isScope('billing:delete')).toBe(false);
  });
});
