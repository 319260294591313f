/**
 * The scopes a route can require and a credential can hold. `*` grants every tenant scope (a tenant
 * owner's first key) but neither of the two special ones: `platform:admin` (operating the platform:
 * creating tenants) and `internal` (one Parley service asking another, e.g. the gateway authenticating a
 * key). Read scopes are implied by the matching write scope.
 */
export const scopes = [
  'tenant:read',
  'tenant:write',
  'accounts:read',
  'accounts:write',
  'users:read',
  'users:write',
  'profile',
  'api-keys:read',
  'api-keys:write',
  'oauth-clients:read',
  'oauth-clients:write',
  'numbers:read',
  'numbers:write',
  'messages:read',
  'messages:write',
  // Changing a tenant's messaging settings (retention, sender rates, help text): a data-governance decision,
  // so not part of messages:write. Reading them needs messages:read.
  'messaging:settings',
  // Call detail records and their recording references (read only: the carrier writes them).
  'calls:read',
  'webhooks:read',
  'webhooks:write',
  'billing:read',
  'billing:write',
  'privacy:read',
  'privacy:write',
] as const;

export type TenantScope = (typeof scopes)[number];
export const specialScopes = ['platform:admin', 'internal'] as const;
export type Scope = TenantScope | (typeof specialScopes)[number];

/** A scope a tenant credential (API key, OAuth client) may be granted. */
export function isScope(value: string): value is TenantScope | '*' {
  return value === '*' || (scopes as readonly string[]).includes(value);
}

export function grants(held: readonly string[], needed: Scope): boolean {
  if (held.includes(needed)) return true;
  if ((specialScopes as readonly string[]).includes(needed)) return false;
  if (held.includes('*')) return true;
  return needed.endsWith(':read') && held.includes(needed.replace(/:read$/, ':write'));
}

/** Tenant roles (Keycloak realm roles) and the scopes each one carries. */
export const roleScopes: Record<string, readonly string[]> = {
  owner: ['*'],
  admin: ['*'],
  developer: [
    'tenant:read',
    'profile',
    'numbers:write',
    'messages:write',
    'calls:read',
    'webhooks:write',
    'api-keys:write',
    'oauth-clients:write',
  ],
  billing: ['tenant:read', 'profile', 'billing:write'],
  privacy_officer: ['tenant:read', 'profile', 'privacy:write', 'accounts:read', 'users:read'],
  support: [
    'tenant:read',
    'profile',
    'accounts:read',
    'users:read',
    'numbers:read',
    'messages:read',
    'calls:read',
    'webhooks:read',
    'billing:read',
  ],
  member: ['tenant:read', 'profile'],
};

export const roles = Object.keys(roleScopes);

export function scopesOfRoles(held: readonly string[]): string[] {
  return [...new Set(held.flatMap((role) => roleScopes[role] ?? []))];
}
