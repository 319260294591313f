/**
 * The scopes a route can require and a credential can hold. `*` grants all of them (a tenant owner's
 * first key). Read scopes are implied by the matching write scope.
 */
export const scopes = [
  'tenant:read',
  'api-keys:read',
  'api-keys:write',
  'numbers:read',
  'numbers:write',
  'messages:read',
  'messages:write',
  'billing:read',
  'billing:write',
  'privacy:read',
  'privacy:write',
] as const;

export type Scope = (typeof scopes)[number];

export function isScope(value: string): value is Scope | '*' {
  return value === '*' || (scopes as readonly string[]).includes(value);
}

export function grants(held: readonly string[], needed: Scope): boolean {
  if (held.includes('*') || held.includes(needed)) return true;
  return needed.endsWith(':read') && held.includes(needed.replace(/:read$/, ':write'));
}
