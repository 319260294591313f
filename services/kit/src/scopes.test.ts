import { describe, expect, it } from '@jest/globals';
import { grants, isScope, scopesOfRoles } from './scopes';

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

describe('special scopes', () => {
  it('are never implied by *: only held explicitly', () => {
    expect(grants(['*'], 'platform:admin')).toBe(false);
    expect(grants(['*'], 'internal')).toBe(false);
    expect(grants(['platform:admin'], 'platform:admin')).toBe(true);
  });
});

describe('scopesOfRoles', () => {
  it('maps roles to the scopes they carry', () => {
    expect(scopesOfRoles(['owner'])).toEqual(['*']);
    expect(scopesOfRoles(['member'])).toEqual(['tenant:read', 'profile']);
    const support = scopesOfRoles(['support']);
    expect(grants(support, 'accounts:read')).toBe(true);
    expect(grants(support, 'accounts:write')).toBe(false);
    expect(scopesOfRoles(['unknown'])).toEqual([]);
  });
});
