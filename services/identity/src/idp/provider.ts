/**
 * What identity needs from an identity provider. Two adapters implement it: Keycloak (production, CI's
 * Keycloak suite) and the embedded provider (`npm start`, integration tests), which issues tokens of the
 * same shape from the same URL paths so the gateway's verification code is the same for both.
 *
 * Every operation is idempotent, so a tenant whose provisioning failed half-way is finished by trying again.
 */
export interface IdpTenant {
  id: string;
  name: string;
  tenancyMode: 'pooled' | 'dedicated';
}

export interface IdpUser {
  email: string;
  fullName: string;
  /** Omitted: the user exists but cannot log in until a password is set. */
  password?: string;
  roles: string[];
}

export interface IdpClient {
  clientId: string;
  secret: string;
  /** The provider's own id for the client, needed to delete it. */
  providerId: string;
}

export interface IdentityProvider {
  /** The realm a tenant's users live in: the shared realm when pooled, `tenant-<id>` when dedicated. */
  realmFor(tenant: Pick<IdpTenant, 'id' | 'tenancyMode'>): string;
  /** Token endpoint of a realm (partners use it for the client-credentials grant). */
  tokenUrl(realm: string): string;
  /** Makes sure the realm (roles, clients, claim mappers) and, when pooled, the tenant's organization exist. */
  provisionTenant(tenant: IdpTenant): Promise<{ realm: string }>;
  /** Creates the user (or finds the one with this email) with the tenant claim; returns the provider's user id. */
  ensureUser(realm: string, tenantId: string, user: IdpUser): Promise<string>;
  updateUser(
    realm: string,
    userId: string,
    changes: { email?: string; fullName?: string; enabled?: boolean },
  ): Promise<void>;
  setRoles(realm: string, userId: string, roles: string[]): Promise<void>;
  /**
   * Ends every session the user has at the provider (closure, erasure), so no refresh token gets them a
   * new access token. Access tokens already issued are refused by the gateway (GetUserStatus). A user
   * that is gone is not an error.
   */
  endSessions(realm: string, userId: string): Promise<void>;
  /** Removes the user and their credentials (erasure). Deleting a user that is gone is not an error. */
  deleteUser(realm: string, userId: string): Promise<void>;

  createClient(
    realm: string,
    tenantId: string,
    client: { name: string; scopes: string[] },
  ): Promise<IdpClient>;
  deleteClient(realm: string, providerId: string): Promise<void>;
}

/** The audience every Parley access token carries, and the public client people log in with. */
export const API_AUDIENCE = 'parley-api';
export const LOGIN_CLIENT = 'parley-cli';

export class IdentityProviderError extends Error {}
