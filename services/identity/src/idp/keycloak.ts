import KcAdminClient from '@keycloak/keycloak-admin-client';
import type { Logger } from '@parley/kit';
import { roles as tenantRoles } from '@parley/kit';
import {
  API_AUDIENCE,
  LOGIN_CLIENT,
  IdentityProviderError,
  type IdentityProvider,
  type IdpClient,
  type IdpTenant,
  type IdpUser,
} from './provider';

export interface KeycloakOptions {
  /** Base URL, e.g. https://sso.example.com (no trailing /realms). */
  url: string;
  /** The realm pooled tenants share. */
  sharedRealm: string;
  /** Admin credentials in the master realm: a service-account client, or a user with admin-cli. */
  admin: { clientId: string; clientSecret: string } | { username: string; password: string };
  log: Logger;
}

type Mapper = {
  name: string;
  protocol: 'openid-connect';
  protocolMapper: string;
  config: Record<string, string>;
};

const audienceMapper: Mapper = {
  name: 'parley-api audience',
  protocol: 'openid-connect',
  protocolMapper: 'oidc-audience-mapper',
  config: {
    'included.custom.audience': API_AUDIENCE,
    'access.token.claim': 'true',
    'id.token.claim': 'false',
  },
};

const tenantAttributeMapper: Mapper = {
  name: 'tenant_id',
  protocol: 'openid-connect',
  protocolMapper: 'oidc-usermodel-attribute-mapper',
  config: {
    'user.attribute': 'tenant_id',
    'claim.name': 'tenant_id',
    'jsonType.label': 'String',
    'access.token.claim': 'true',
    'id.token.claim': 'true',
    'userinfo.token.claim': 'true',
  },
};

const hardcoded = (name: string, value: string): Mapper => ({
  name,
  protocol: 'openid-connect',
  protocolMapper: 'oidc-hardcoded-claim-mapper',
  config: {
    'claim.name': name,
    'claim.value': value,
    'jsonType.label': 'String',
    'access.token.claim': 'true',
  },
});

function splitName(fullName: string): { firstName: string; lastName: string } {
  const parts = fullName.trim().split(/\s+/);
  return { firstName: parts[0] ?? fullName, lastName: parts.slice(1).join(' ') || '-' };
}

/**
 * Provisions tenants, users and partner clients in Keycloak through its admin REST API. A realm is set up
 * once with Parley's roles, a login client, the `parley-api` audience and the `tenant_id` claim; pooled
 * tenants are organizations in the shared realm, dedicated ones get a realm of their own.
 */
export class KeycloakIdentityProvider implements IdentityProvider {
  private readonly client: KcAdminClient;
  private authenticatedAt = 0;
  private readonly readyRealms = new Set<string>();

  constructor(private readonly options: KeycloakOptions) {
    this.client = new KcAdminClient({ baseUrl: options.url.replace(/\/$/, ''), realmName: 'master' });
  }

  realmFor(tenant: Pick<IdpTenant, 'id' | 'tenancyMode'>): string {
    return tenant.tenancyMode === 'dedicated' ? `tenant-${tenant.id}` : this.options.sharedRealm;
  }

  tokenUrl(realm: string): string {
    return `${this.options.url.replace(/\/$/, '')}/realms/${realm}/protocol/openid-connect/token`;
  }

  /** Admin tokens of the master realm live a minute; get a fresh one before each operation that needs it. */
  private async admin(): Promise<KcAdminClient> {
    if (Date.now() - this.authenticatedAt > 30_000) {
      const { admin } = this.options;
      try {
        await this.client.auth(
          'clientSecret' in admin
            ? { grantType: 'client_credentials', clientId: admin.clientId, clientSecret: admin.clientSecret }
            : {
                grantType: 'password',
                clientId: 'admin-cli',
                username: admin.username,
                password: admin.password,
              },
        );
      } catch (error) {
        throw new IdentityProviderError(`Keycloak admin login failed: ${(error as Error).message}`);
      }
      this.authenticatedAt = Date.now();
    }
    return this.client;
  }

  private async ensureRealm(realm: string, organizations: boolean): Promise<void> {
    if (this.readyRealms.has(realm)) return;
    const kc = await this.admin();
    const existing = await kc.realms.findOne({ realm });
    if (!existing) {
      await kc.realms.create({
        realm,
        enabled: true,
        organizationsEnabled: organizations,
        registrationEmailAsUsername: true,
        editUsernameAllowed: false,
        accessTokenLifespan: 300,
      });
    } else if (organizations && !existing.organizationsEnabled) {
      await kc.realms.update({ realm }, { organizationsEnabled: true });
    }
    // tenant_id is set by Parley only: admins may edit it, users may not see or change it.
    const profile = await kc.users.getProfile({ realm });
    if (profile.unmanagedAttributePolicy !== 'ADMIN_EDIT') {
      await kc.users.updateProfile({ ...profile, realm, unmanagedAttributePolicy: 'ADMIN_EDIT' } as never);
    }
    for (const name of tenantRoles) {
      const role = await kc.roles.findOneByName({ realm, name });
      if (!role) await kc.roles.create({ realm, name, description: `Parley ${name}` });
    }
    const [login] = await kc.clients.find({ realm, clientId: LOGIN_CLIENT });
    if (!login) {
      await kc.clients.create({
        realm,
        clientId: LOGIN_CLIENT,
        name: 'Parley login',
        publicClient: true,
        directAccessGrantsEnabled: true,
        standardFlowEnabled: true,
        redirectUris: ['http://127.0.0.1/*', 'http://localhost/*'],
        protocolMappers: [audienceMapper, tenantAttributeMapper],
      });
    }
    this.readyRealms.add(realm);
  }

  async provisionTenant(tenant: IdpTenant): Promise<{ realm: string }> {
    const realm = this.realmFor(tenant);
    await this.ensureRealm(realm, tenant.tenancyMode === 'pooled');
    if (tenant.tenancyMode === 'pooled') await this.ensureOrganization(realm, tenant);
    return { realm };
  }

  private async organizationId(realm: string, alias: string): Promise<string | undefined> {
    const kc = await this.admin();
    // Organizations are found by the tenant_id attribute Parley gives them (search matches names only).
    const found = await kc.organizations.find({ realm, q: `tenant_id:${alias}`, max: 10 });
    return found.find((organization) => organization.alias === alias)?.id;
  }

  private async ensureOrganization(realm: string, tenant: IdpTenant): Promise<void> {
    if (await this.organizationId(realm, tenant.id)) return;
    const kc = await this.admin();
    await kc.organizations.create({
      realm,
      name: tenant.name,
      alias: tenant.id,
      enabled: true,
      attributes: { tenant_id: [tenant.id] },
      domains: [],
    });
  }

  async ensureUser(realm: string, tenantId: string, user: IdpUser): Promise<string> {
    const kc = await this.admin();
    const username = user.email.toLowerCase();
    let [existing] = await kc.users.find({ realm, username, exact: true });
    if (!existing) {
      await kc.users.create({
        realm,
        username,
        email: username,
        emailVerified: true,
        enabled: true,
        ...splitName(user.fullName),
        attributes: { tenant_id: [tenantId] },
        ...(user.password
          ? { credentials: [{ type: 'password', value: user.password, temporary: false }] }
          : {}),
      });
      [existing] = await kc.users.find({ realm, username, exact: true });
    }
    if (!existing?.id) throw new IdentityProviderError(`Keycloak did not return user ${username}`);
    await this.setRoles(realm, existing.id, user.roles);
    if (realm === this.options.sharedRealm) {
      const organization = await this.organizationId(realm, tenantId);
      if (organization) {
        const members = await kc.organizations.listMembers({ realm, orgId: organization, search: username });
        if (!members.some((member) => member.id === existing?.id)) {
          await kc.organizations.addMember({ realm, orgId: organization, userId: existing.id });
        }
      }
    }
    return existing.id;
  }

  async updateUser(
    realm: string,
    userId: string,
    changes: { email?: string; fullName?: string; enabled?: boolean },
  ) {
    const kc = await this.admin();
    const current = await kc.users.findOne({ realm, id: userId });
    if (!current) throw new IdentityProviderError(`Keycloak user ${userId} does not exist`);
    await kc.users.update(
      { realm, id: userId },
      {
        ...current,
        ...(changes.email !== undefined
          ? { email: changes.email.toLowerCase(), username: changes.email.toLowerCase() }
          : {}),
        ...(changes.fullName !== undefined ? splitName(changes.fullName) : {}),
        ...(changes.enabled !== undefined ? { enabled: changes.enabled } : {}),
      },
    );
  }

  async endSessions(realm: string, userId: string): Promise<void> {
    const kc = await this.admin();
    await kc.users.logout({ realm, id: userId }).catch((error: { response?: { status?: number } }) => {
      if (error.response?.status !== 404) throw error;
    });
  }

  async deleteUser(realm: string, userId: string): Promise<void> {
    const kc = await this.admin();
    await kc.users.del({ realm, id: userId }).catch((error: { response?: { status?: number } }) => {
      if (error.response?.status !== 404) throw error;
    });
  }

  async setRoles(realm: string, userId: string, roles: string[]): Promise<void> {
    const kc = await this.admin();
    const current = (await kc.users.listRealmRoleMappings({ realm, id: userId })).filter((role) =>
      tenantRoles.includes(role.name ?? ''),
    );
    const remove = current.filter((role) => !roles.includes(role.name ?? ''));
    const missing = roles.filter((name) => !current.some((role) => role.name === name));
    if (remove.length > 0) {
      await kc.users.delRealmRoleMappings({
        realm,
        id: userId,
        roles: remove.map((role) => ({ id: role.id!, name: role.name! })),
      });
    }
    if (missing.length > 0) {
      const add = await Promise.all(missing.map((name) => kc.roles.findOneByName({ realm, name })));
      await kc.users.addRealmRoleMappings({
        realm,
        id: userId,
        roles: add.filter((role) => role?.id).map((role) => ({ id: role!.id!, name: role!.name! })),
      });
    }
  }

  async createClient(
    realm: string,
    tenantId: string,
    client: { name: string; scopes: string[] },
  ): Promise<IdpClient> {
    const kc = await this.admin();
    const slug = client.name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '');
    const clientId = `${tenantId}-${slug}-${Math.random().toString(36).slice(2, 8)}`;
    const { id } = await kc.clients.create({
      realm,
      clientId,
      name: client.name,
      publicClient: false,
      serviceAccountsEnabled: true,
      standardFlowEnabled: false,
      directAccessGrantsEnabled: false,
      protocolMappers: [
        audienceMapper,
        hardcoded('tenant_id', tenantId),
        hardcoded('parley_scopes', client.scopes.join(' ')),
      ],
    });
    const secret = await kc.clients.getClientSecret({ realm, id });
    if (!secret.value) throw new IdentityProviderError('Keycloak returned no client secret');
    return { clientId, secret: secret.value, providerId: id };
  }

  async deleteClient(realm: string, providerId: string): Promise<void> {
    const kc = await this.admin();
    await kc.clients.del({ realm, id: providerId }).catch((error: { response?: { status?: number } }) => {
      if (error.response?.status !== 404) throw error;
    });
  }
}
