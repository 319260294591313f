import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { and, eq, sql } from 'drizzle-orm';
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import type { Database, Logger } from '@parley/kit';
import { devClients, devRealms, devSigningKeys, devUsers } from '../db/schema';
import { hashSecret, verifySecret } from '../domain/apiKey';
import {
  API_AUDIENCE,
  LOGIN_CLIENT,
  type IdentityProvider,
  type IdpClient,
  type IdpTenant,
  type IdpUser,
} from './provider';

const TOKEN_LIFETIME_SECONDS = 300;

interface SigningKey {
  kid: string;
  privateKey: Parameters<SignJWT['sign']>[0];
  publicJwk: JWK;
}

/**
 * The identity provider `npm start` runs when there is no Keycloak: users, clients and a signing key in
 * identity's database (schema dev_idp), and an HTTP issuer on Keycloak's URL paths
 * (`/realms/<realm>/protocol/openid-connect/{certs,token}`) whose tokens have Keycloak's shape: RS256,
 * `aud` parley-api, `realm_access.roles`, and the `tenant_id` claim Parley's realms add.
 */
export class EmbeddedIdentityProvider implements IdentityProvider {
  private key?: SigningKey;
  private server?: Server;

  constructor(
    private readonly options: { db: Database; log: Logger; publicUrl: string; sharedRealm: string },
  ) {}

  realmFor(tenant: Pick<IdpTenant, 'id' | 'tenancyMode'>): string {
    return tenant.tenancyMode === 'dedicated' ? `tenant-${tenant.id}` : this.options.sharedRealm;
  }

  issuer(realm: string): string {
    return `${this.options.publicUrl}/realms/${realm}`;
  }

  tokenUrl(realm: string): string {
    return `${this.issuer(realm)}/protocol/openid-connect/token`;
  }

  async provisionTenant(tenant: IdpTenant): Promise<{ realm: string }> {
    const realm = this.realmFor(tenant);
    const { db } = this.options;
    await db.insert(devRealms).values({ name: realm, organizations: [] }).onConflictDoNothing();
    if (tenant.tenancyMode === 'pooled') {
      await db.execute(sql`update dev_idp.realms
        set organizations = organizations || ${JSON.stringify([{ alias: tenant.id, name: tenant.name }])}::jsonb
        where name = ${realm} and not organizations @> ${JSON.stringify([{ alias: tenant.id }])}::jsonb`);
    }
    return { realm };
  }

  async ensureUser(realm: string, tenantId: string, user: IdpUser): Promise<string> {
    const username = user.email.toLowerCase();
    const [existing] = await this.options.db
      .select()
      .from(devUsers)
      .where(and(eq(devUsers.realm, realm), eq(devUsers.username, username)));
    if (existing) return existing.id;
    const id = randomUUID();
    await this.options.db
      .insert(devUsers)
      .values({
        id,
        realm,
        username,
        tenant: tenantId,
        fullName: user.fullName,
        passwordHash: user.password ? await hashSecret(user.password) : null,
        roles: user.roles,
        enabled: true,
      })
      .onConflictDoNothing();
    const [row] = await this.options.db
      .select({ id: devUsers.id })
      .from(devUsers)
      .where(and(eq(devUsers.realm, realm), eq(devUsers.username, username)));
    return row?.id ?? id;
  }

  async updateUser(
    realm: string,
    userId: string,
    changes: { email?: string; fullName?: string; enabled?: boolean },
  ) {
    const values: Partial<typeof devUsers.$inferInsert> = {};
    if (changes.email !== undefined) values.username = changes.email.toLowerCase();
    if (changes.fullName !== undefined) values.fullName = changes.fullName;
    if (changes.enabled !== undefined) values.enabled = changes.enabled;
    if (Object.keys(values).length === 0) return;
    await this.options.db
      .update(devUsers)
      .set(values)
      .where(and(eq(devUsers.realm, realm), eq(devUsers.id, userId)));
  }

  /** The embedded provider keeps no sessions (no refresh tokens): its access tokens are all there is. */
  async endSessions(): Promise<void> {}

  async deleteUser(realm: string, userId: string): Promise<void> {
    await this.options.db.delete(devUsers).where(and(eq(devUsers.realm, realm), eq(devUsers.id, userId)));
  }

  async setRoles(realm: string, userId: string, roles: string[]): Promise<void> {
    await this.options.db
      .update(devUsers)
      .set({ roles })
      .where(and(eq(devUsers.realm, realm), eq(devUsers.id, userId)));
  }

  async createClient(
    realm: string,
    tenantId: string,
    client: { name: string; scopes: string[] },
  ): Promise<IdpClient> {
    const id = randomUUID();
    const clientId = `${tenantId}-${client.name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')}-${randomBytes(3).toString('hex')}`;
    const secret = randomBytes(24).toString('base64url');
    await this.options.db.insert(devClients).values({
      id,
      realm,
      clientId,
      tenant: tenantId,
      secretHash: await hashSecret(secret),
      scopes: client.scopes,
    });
    return { clientId, secret, providerId: id };
  }

  async deleteClient(realm: string, providerId: string): Promise<void> {
    await this.options.db
      .delete(devClients)
      .where(and(eq(devClients.realm, realm), eq(devClients.id, providerId)));
  }

  // --- the issuer -------------------------------------------------------------------------------------

  private async signingKey(): Promise<SigningKey> {
    if (this.key) return this.key;
    const [stored] = await this.options.db
      .select()
      .from(devSigningKeys)
      .orderBy(sql`created_at desc`)
      .limit(1);
    if (stored) {
      this.key = {
        kid: stored.kid,
        privateKey: await importJWK(stored.privateJwk as JWK, 'RS256'),
        publicJwk: stored.publicJwk as JWK,
      };
      return this.key;
    }
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    const kid = randomBytes(8).toString('hex');
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
    await this.options.db
      .insert(devSigningKeys)
      .values({ kid, privateJwk: (await exportJWK(privateKey)) as Record<string, unknown>, publicJwk })
      .onConflictDoNothing();
    this.key = undefined;
    return this.signingKey();
  }

  private async sign(
    realm: string,
    claims: Record<string, unknown>,
    subject: string,
    clientId: string,
  ): Promise<string> {
    const key = await this.signingKey();
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ ...claims, typ: 'Bearer', azp: clientId, auth_time: now, sid: randomUUID() })
      .setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'JWT' })
      .setIssuer(this.issuer(realm))
      .setAudience([API_AUDIENCE])
      .setSubject(subject)
      .setJti(randomUUID())
      .setIssuedAt(now)
      .setExpirationTime(now + TOKEN_LIFETIME_SECONDS)
      .sign(key.privateKey);
  }

  /** Starts the HTTP issuer; returns the port it listens on. */
  async listen(port: number, host: string): Promise<number> {
    this.server = createServer((request, response) => {
      this.route(request, response).catch((error: unknown) => {
        this.options.log.error({ err: error }, 'embedded issuer failed');
        if (!response.headersSent) send(response, 500, { error: 'server_error' });
      });
    });
    await new Promise<void>((resolve, reject) => {
      this.server?.once('error', reject);
      this.server?.listen(port, host, () => resolve());
    });
    const address = this.server.address();
    return typeof address === 'object' && address ? address.port : port;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://issuer');
    const match =
      /^\/realms\/([a-z0-9-]+)\/(protocol\/openid-connect\/(certs|token)|\.well-known\/openid-configuration)$/.exec(
        url.pathname,
      );
    if (!match) return send(response, 404, { error: 'not_found' });
    const realm = match[1]!;
    const [known] = await this.options.db.select().from(devRealms).where(eq(devRealms.name, realm));
    if (!known) return send(response, 404, { error: 'Realm does not exist' });
    if (match[2] === '.well-known/openid-configuration') {
      return send(response, 200, {
        issuer: this.issuer(realm),
        token_endpoint: this.tokenUrl(realm),
        jwks_uri: `${this.issuer(realm)}/protocol/openid-connect/certs`,
        grant_types_supported: ['password', 'client_credentials'],
        id_token_signing_alg_values_supported: ['RS256'],
      });
    }
    if (match[3] === 'certs') return send(response, 200, { keys: [(await this.signingKey()).publicJwk] });
    if (request.method !== 'POST') return send(response, 405, { error: 'method_not_allowed' });
    const form = new URLSearchParams(await readBody(request));
    const basic = /^Basic (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    if (basic) {
      const [id, secret] = Buffer.from(basic, 'base64').toString().split(':');
      if (id) form.set('client_id', decodeURIComponent(id));
      if (secret) form.set('client_secret', decodeURIComponent(secret));
    }
    const grant = form.get('grant_type');
    if (grant === 'password') return this.passwordGrant(realm, form, response);
    if (grant === 'client_credentials') return this.clientCredentialsGrant(realm, form, response);
    return send(response, 400, {
      error: 'unsupported_grant_type',
      error_description: 'Unsupported grant_type',
    });
  }

  private async passwordGrant(realm: string, form: URLSearchParams, response: ServerResponse): Promise<void> {
    if (form.get('client_id') !== LOGIN_CLIENT) {
      return send(response, 401, {
        error: 'invalid_client',
        error_description: 'Invalid client or Invalid client credentials',
      });
    }
    const username = (form.get('username') ?? '').toLowerCase();
    const [user] = await this.options.db
      .select()
      .from(devUsers)
      .where(and(eq(devUsers.realm, realm), eq(devUsers.username, username)));
    const valid =
      user?.enabled &&
      user.passwordHash &&
      (await verifySecret(form.get('password') ?? '', user.passwordHash));
    if (!user || !valid)
      return send(response, 401, { error: 'invalid_grant', error_description: 'Invalid user credentials' });
    const token = await this.sign(
      realm,
      {
        tenant_id: user.tenant,
        realm_access: { roles: user.roles },
        preferred_username: user.username,
        email: user.username,
        name: user.fullName,
        scope: 'openid profile email',
      },
      user.id,
      LOGIN_CLIENT,
    );
    send(response, 200, {
      access_token: token,
      token_type: 'Bearer',
      expires_in: TOKEN_LIFETIME_SECONDS,
      scope: 'openid profile email',
    });
  }

  private async clientCredentialsGrant(
    realm: string,
    form: URLSearchParams,
    response: ServerResponse,
  ): Promise<void> {
    const [client] = await this.options.db
      .select()
      .from(devClients)
      .where(and(eq(devClients.realm, realm), eq(devClients.clientId, form.get('client_id') ?? '')));
    const valid = client && (await verifySecret(form.get('client_secret') ?? '', client.secretHash));
    if (!client || !valid) {
      return send(response, 401, {
        error: 'invalid_client',
        error_description: 'Invalid client or Invalid client credentials',
      });
    }
    const token = await this.sign(
      realm,
      {
        tenant_id: client.tenant,
        parley_scopes: client.scopes.join(' '),
        realm_access: { roles: [] },
        scope: 'profile email',
      },
      `service-account-${client.id}`,
      client.clientId,
    );
    send(response, 200, { access_token: token, token_type: 'Bearer', expires_in: TOKEN_LIFETIME_SECONDS });
  }
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  response.end(JSON.stringify(body));
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString();
      if (body.length > 64 * 1024) request.destroy(new Error('body too large'));
    });
    request.on('end', () => resolve(body));
    request.on('error', reject);
  });
}
