import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { status } from '@grpc/grpc-js';
import { sql } from 'drizzle-orm';
import { decodeJwt } from 'jose';
import { createHmac, randomUUID } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import {
  call,
  connectNats,
  createClient,
  identifierHashes,
  textArray,
  twilioSignature,
  withTenant,
} from '@parley/kit';
import { eventsV1, identityV1 } from '@parley/proto';
import { testInfra } from '../../../../tests/support/infra';
import type { RunningService } from '../../../../tests/support/service';
import { expectStatus, eventually } from '../../../../tests/support/grpc';
import { expectEveryTenantTableWalled, expectTenantWall } from '../../../../tests/support/rls';
import { as, asPlatform } from '../../../../tests/support/callers';
import type { IdentityProvider } from '../../src/idp/provider';
import { generateKey, hashSecret, parseKey } from '../../src/domain/apiKey';
import { startIdentity, tokenUrl, TEST_API_KEY_PEPPER, type IdentityApp } from './identityForTests';

const { TenancyMode, Jurisdiction } = identityV1;
const tenant = (
  id: string,
  extra: Partial<identityV1.CreateTenantRequest> = {},
): identityV1.CreateTenantRequest => ({
  id,
  name: `Tenant ${id}`,
  tenancyMode: TenancyMode.TENANCY_MODE_POOLED,
  jurisdiction: Jurisdiction.JURISDICTION_GDPR,
  minimumAge: 0,
  ...extra,
});

async function passwordGrant(url: string, username: string, password: string) {
  const response = await fetch(url, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'password', client_id: 'parley-cli', username, password }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, string> };
}

async function clientGrant(url: string, clientId: string, clientSecret: string) {
  const response = await fetch(url, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: clientSecret,
    }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, string> };
}

describe('identity service', () => {
  let service: RunningService<IdentityApp>;
  let client: identityV1.IdentityServiceClient;
  /** Fails the next provisionTenant calls, as a Keycloak that is down would. */
  const outage = { failures: 0 };

  beforeAll(async () => {
    service = await startIdentity(
      {},
      {
        wrapIdentityProvider: (provider: IdentityProvider) =>
          Object.assign(Object.create(provider) as IdentityProvider, {
            provisionTenant: async (...args: Parameters<IdentityProvider['provisionTenant']>) => {
              if (outage.failures > 0) {
                outage.failures -= 1;
                throw new Error('connect ECONNREFUSED keycloak');
              }
              return provider.provisionTenant(...args);
            },
          }),
      },
    );
    client = createClient(identityV1.IdentityServiceClient, service.address, {
      serviceName: 'parley.identity.v1.IdentityService',
    });
    await call(client, client.createTenant, tenant('acme'), await asPlatform());
  });

  afterAll(async () => {
    client?.close();
    await service?.stop();
  });

  const db = () => service.app.runtime.db;
  /**
   * Every event identity has published, in order. Published outbox rows are deleted (JetStream is the
   * log), so the events are read back from the stream once the outbox has drained.
   */
  const publishedEvents = async (): Promise<eventsV1.Envelope[]> => {
    await eventually('the outbox to drain', async () => {
      const pending = await db().execute<{ n: number }>(sql`select count(*)::int as n from kit_outbox`);
      if (pending.rows[0]?.n !== 0) throw new Error('still pending');
    });
    const nats = await connectNats({ url: testInfra().natsUrl, name: 'identity-test-events' });
    try {
      const jsm = await jetstreamManager(nats);
      const stream = service.app.runtime.naming.stream('identity').name;
      const { state } = await jsm.streams.info(stream);
      const envelopes: eventsV1.Envelope[] = [];
      for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq += 1) {
        const stored = await jsm.streams.getMessage(stream, { seq });
        if (stored) envelopes.push(eventsV1.Envelope.decode(stored.data));
      }
      return envelopes;
    } finally {
      await nats.close();
    }
  };
  const outboxOf = async (tenantId: string) =>
    (await publishedEvents()).filter((event) => event.tenantId === tenantId).map((event) => event.type);

  describe('IdentityService/CreateTenant', () => {
    it('creates an active tenant once, with its first owner key and one event', async () => {
      const first = await call(
        client,
        client.createTenant,
        tenant('globex', { minimumAge: 16 }),
        await asPlatform(),
      );
      expect(first).toMatchObject({
        created: true,
        tenant: { id: 'globex', minimumAge: 16, realm: 'parley' },
      });
      expect(first.tenant?.status).toBe(identityV1.TenantStatus.TENANT_STATUS_ACTIVE);
      expect(first.ownerApiKey).toMatch(/^prl_/);
      const owner = await call(
        client,
        client.authenticateApiKey,
        { secret: first.ownerApiKey },
        await as('', ['internal']),
      );
      expect(owner.apiKey).toMatchObject({ tenantId: 'globex', scopes: ['*'] });

      const again = await call(
        client,
        client.createTenant,
        tenant('globex', { minimumAge: 16 }),
        await asPlatform(),
      );
      expect(again).toMatchObject({ created: false, ownerApiKey: '', tenant: { id: 'globex' } });
      expect(await outboxOf('globex')).toEqual(['identity.tenant.created']);
    });

    it('is for platform admins only', async () => {
      await expectStatus(
        call(client, client.createTenant, tenant('sneaky'), await as('acme')),
        status.PERMISSION_DENIED,
        'SCOPE_MISSING',
      );
    });

    it('refuses the same id with other attributes, and names every bad field', async () => {
      await expectStatus(
        call(client, client.createTenant, tenant('acme', { name: 'Someone Else' }), await asPlatform()),
        status.ALREADY_EXISTS,
        'TENANT_EXISTS',
      );
      const { fieldViolations } = await expectStatus(
        call(
          client,
          client.createTenant,
          { id: 'platform', name: ' ', tenancyMode: 0, jurisdiction: 0, minimumAge: 99 },
          await asPlatform(),
        ),
        status.INVALID_ARGUMENT,
        'TENANT_INVALID',
      );
      expect(fieldViolations.map((violation) => violation.field)).toEqual([
        'id',
        'minimumAge',
        'name',
        'tenancyMode',
        'jurisdiction',
      ]);
    });

    it('leaves a tenant the identity provider failed on unusable, and finishes it when asked again', async () => {
      outage.failures = 1;
      await expectStatus(
        call(client, client.createTenant, tenant('initech'), await asPlatform()),
        status.UNAVAILABLE,
        'IDENTITY_PROVIDER_UNAVAILABLE',
      );
      const half = await call(client, client.getTenant, { id: 'initech' }, await asPlatform());
      expect(half.tenant?.status).toBe(identityV1.TenantStatus.TENANT_STATUS_PROVISIONING);
      await expectStatus(
        call(client, client.createApiKey, { name: 'early', scopes: ['*'] }, await as('initech')),
        status.FAILED_PRECONDITION,
        'TENANT_PROVISIONING',
      );
      expect(await outboxOf('initech')).toEqual([]);

      const finished = await call(client, client.createTenant, tenant('initech'), await asPlatform());
      expect(finished).toMatchObject({
        created: true,
        tenant: { status: identityV1.TenantStatus.TENANT_STATUS_ACTIVE },
      });
      expect(finished.ownerApiKey).toMatch(/^prl_/);
      expect(await outboxOf('initech')).toEqual(['identity.tenant.created']);
    });
  });

  describe('IdentityService/GetTenant and ListTenants', () => {
    it('shows a tenant only itself, and every tenant to a platform admin', async () => {
      await expectStatus(
        call(client, client.getTenant, { id: 'globex' }, await as('acme')),
        status.NOT_FOUND,
        'TENANT_NOT_FOUND',
      );
      expect((await call(client, client.getTenant, { id: '' }, await as('acme'))).tenant?.id).toBe('acme');
      const ids = (
        await call(client, client.listTenants, { pageSize: 100, pageToken: '' }, await asPlatform())
      ).tenants.map((t) => t.id);
      expect(ids).toEqual(expect.arrayContaining(['acme', 'globex', 'platform']));
      await expectStatus(
        call(client, client.listTenants, { pageSize: 0, pageToken: '' }, await as('acme')),
        status.PERMISSION_DENIED,
      );
    });
  });

  describe('accounts', () => {
    const jane: identityV1.AccountProfile = {
      fullName: 'Jane Roe',
      email: 'Jane@Example.com',
      phone: '+447911123456',
      companyName: 'Roe Ltd',
      companyLocation: 'London',
      companyUrl: 'https://roe.example.com',
      address: { street: '1 High St', city: 'London', state: '', postalCode: 'N1 9GU', country: 'GB' },
      clearAddress: false,
      timeZone: 'Europe/London',
      outgoingCallerId: '+447911123457',
      dateOfBirth: '1990-05-01',
    };
    let janeId = '';

    it('signs up an account with every profile field and its sign-up facts, announced by an event', async () => {
      const { account } = await call(
        client,
        client.createAccount,
        {
          profile: jane,
          password: 'correct horse battery staple',
          roles: [],
          signupIp: '203.0.113.7',
          signupUserAgent: 'Mozilla/5.0',
        },
        await as('acme'),
      );
      janeId = account!.id;
      expect(account).toMatchObject({
        fullName: 'Jane Roe',
        email: 'Jane@Example.com',
        phone: '+447911123456',
        address: { country: 'GB', postalCode: 'N1 9GU' },
        timeZone: 'Europe/London',
        roles: ['member'],
        signupIp: '203.0.113.7',
        signupUserAgent: 'Mozilla/5.0',
        status: identityV1.AccountStatus.ACCOUNT_STATUS_ACTIVE,
      });
      expect(await outboxOf('acme')).toContain('identity.account.created');
      const login = await passwordGrant(
        tokenUrl(service),
        'jane@example.com',
        'correct horse battery staple',
      );
      expect(login.status).toBe(200);
      const claims = decodeJwt(login.body.access_token!);
      expect(claims).toMatchObject({
        tenant_id: 'acme',
        aud: ['parley-api'],
        realm_access: { roles: ['member'] },
      });
      expect(claims.iss).toBe(tokenUrl(service).replace('/protocol/openid-connect/token', ''));
    });

    it('refuses a second account with the same email (any case), bad fields and under-age holders, writing nothing', async () => {
      const before = await outboxOf('acme');
      await expectStatus(
        call(
          client,
          client.createAccount,
          {
            profile: { ...jane, email: 'JANE@example.com' },
            password: '',
            roles: [],
            signupIp: '',
            signupUserAgent: '',
          },
          await as('acme'),
        ),
        status.ALREADY_EXISTS,
        'ACCOUNT_EMAIL_TAKEN',
      );
      const { fieldViolations } = await expectStatus(
        call(
          client,
          client.createAccount,
          {
            profile: {
              fullName: 'X',
              email: 'x@',
              phone: 'call me',
              timeZone: 'Nowhere/City',
              clearAddress: false,
              dateOfBirth: '1999-01-01',
            },
            password: '',
            roles: [],
            signupIp: '',
            signupUserAgent: '',
          },
          await as('acme'),
        ),
        status.INVALID_ARGUMENT,
        'ACCOUNT_INVALID',
      );
      expect(fieldViolations.map((violation) => violation.field)).toEqual(['email', 'phone', 'timeZone']);
      const thirteen = new Date(Date.now() - 13 * 365.25 * 86_400_000).toISOString().slice(0, 10);
      await expectStatus(
        call(
          client,
          client.createAccount,
          {
            profile: {
              fullName: 'Kid',
              email: 'kid@example.com',
              dateOfBirth: thirteen,
              clearAddress: false,
            },
            password: '',
            roles: [],
            signupIp: '',
            signupUserAgent: '',
          },
          await as('acme'),
        ),
        status.INVALID_ARGUMENT,
        'UNDER_MINIMUM_AGE',
      );
      expect(await outboxOf('acme')).toEqual(before);
      const count = await withTenant(db(), 'acme', (tx) =>
        tx.execute<{ n: number }>(
          sql`select count(*)::int as n from accounts where email ilike 'kid%' or email = 'x@'`,
        ),
      );
      expect(count.rows[0]?.n).toBe(0);
    });

    it("lets a user read and change their own account ('me'), and announces the changed fields without values", async () => {
      const idpUser = (
        await withTenant(db(), 'acme', (tx) =>
          tx.execute<{ idp_user_id: string }>(sql`select idp_user_id from accounts where id = ${janeId}`),
        )
      ).rows[0]!.idp_user_id;
      const asJane = () => as('acme', ['tenant:read', 'profile'], `user:${idpUser}`);
      expect((await call(client, client.getAccount, { accountId: 'me' }, await asJane())).account?.id).toBe(
        janeId,
      );
      const { account } = await call(
        client,
        client.updateAccount,
        { accountId: 'me', patch: { fullName: 'Jane Q. Roe', companyName: '', clearAddress: false } },
        await asJane(),
      );
      expect(account).toMatchObject({ fullName: 'Jane Q. Roe', companyName: '' });
      const updated = (await publishedEvents()).filter((event) => event.type === 'identity.account.updated');
      const payload = identityV1.AccountUpdated.decode(updated[updated.length - 1]!.payload);
      expect(payload).toEqual({ accountId: janeId, changedFields: ['fullName', 'companyName'] });

      await call(
        client,
        client.recordLogin,
        { ip: '198.51.100.4', userAgent: 'curl/8', at: new Date() },
        await asJane(),
      );
      expect(
        (await call(client, client.getAccount, { accountId: 'me' }, await asJane())).account,
      ).toMatchObject({ lastLoginIp: '198.51.100.4', lastLoginUserAgent: 'curl/8' });

      // A member reaches only their own account.
      await expectStatus(
        call(client, client.getAccount, { accountId: janeId }, await asJane()),
        status.PERMISSION_DENIED,
        'SCOPE_MISSING',
      );
      // An API key is no user.
      await expectStatus(
        call(client, client.getAccount, { accountId: 'me' }, await as('acme')),
        status.PERMISSION_DENIED,
        'NOT_A_USER',
      );
    });

    it('sets roles only as far as the caller reaches, and pages the users', async () => {
      const { account } = await call(
        client,
        client.setRoles,
        { accountId: janeId, roles: ['developer', 'billing'] },
        await as('acme'),
      );
      expect(account?.roles).toEqual(['developer', 'billing']);
      await expectStatus(
        call(
          client,
          client.setRoles,
          { accountId: janeId, roles: ['owner'] },
          await as('acme', ['users:write', 'accounts:write']),
        ),
        status.PERMISSION_DENIED,
        'SCOPE_ESCALATION',
      );
      await call(
        client,
        client.createAccount,
        {
          profile: { fullName: 'Bob', email: 'bob@example.com', ageAttested: true, clearAddress: false },
          password: '',
          roles: ['support'],
          signupIp: '',
          signupUserAgent: '',
        },
        await as('acme'),
      );
      const page = await call(client, client.listAccounts, { pageSize: 1, pageToken: '' }, await as('acme'));

      expect(page.accounts).toHaveLength(1);
      expect(page.nextPageToken).not.toBe('');
    });

    it('closes an account once: login disabled, identity.account.closed with the closing time', async () => {
      const { account } = await call(client, client.closeAccount, { accountId: janeId }, await as('acme'));
      expect(account?.status).toBe(identityV1.AccountStatus.ACCOUNT_STATUS_CLOSED);
      expect(account?.closedAt).toBeInstanceOf(Date);
      const again = await call(client, client.closeAccount, { accountId: janeId }, await as('acme'));
      expect(again.account?.closedAt).toEqual(account?.closedAt);
      const closed = (await publishedEvents()).filter(
        (event) => event.tenantId === 'acme' && event.type === 'identity.account.closed',
      );
      expect(closed).toHaveLength(1);
      // The event names the account holder: its subject hashes let an erasure find a parked copy, and
      // every consumer drop it once they are erased.
      const [row] = (
        await withTenant(db(), 'acme', (tx) =>
          tx.execute<{ idp_user_id: string }>(sql`select idp_user_id from accounts where id = ${janeId}`),
        )
      ).rows;
      expect(closed[0]!.subjectHashes).toEqual(
        identifierHashes(service.app.runtime.subjectHashKeys, 'acme', {
          accountIds: [janeId],
          emails: [],
          phones: [],
          userIds: [row!.idp_user_id],
        }),
      );
      expect(
        (await passwordGrant(tokenUrl(service), 'jane@example.com', 'correct horse battery staple')).status,
      ).toBe(401);
      await expectStatus(
        call(client, client.getAccount, { accountId: janeId }, await as('globex')),
        status.NOT_FOUND,
        'ACCOUNT_NOT_FOUND',
      );
    });
  });

  describe('API keys', () => {
    it('lists without secrets, revokes at once, and never grants beyond the caller', async () => {
      const { secret, apiKey } = await call(
        client,
        client.createApiKey,
        { name: 'ci', scopes: ['numbers:read'] },
        await as('acme'),
      );
      const stored = await withTenant(db(), 'acme', (tx) =>
        tx.execute<{ secret_hash: string }>(sql`select secret_hash from api_keys where id = ${apiKey?.id}`),
      );
      expect(stored.rows[0]?.secret_hash).toMatch(/^hmac-sha256\$/);
      expect(stored.rows[0]?.secret_hash).not.toContain(secret.slice(-32));
      const listed = await call(client, client.listApiKeys, { includeRevoked: false }, await as('acme'));
      expect(listed.apiKeys.map((key) => key.id)).toContain(apiKey?.id);
      expect(JSON.stringify(listed)).not.toContain(secret.slice(-32));

      await call(client, client.revokeApiKey, { id: apiKey!.id }, await as('acme'));
      await expectStatus(
        call(client, client.authenticateApiKey, { secret }, await as('', ['internal'])),
        status.UNAUTHENTICATED,
        'API_KEY_REVOKED',
      );
      await expectStatus(
        call(client, client.revokeApiKey, { id: apiKey!.id }, await as('globex')),
        status.NOT_FOUND,
        'API_KEY_NOT_FOUND',
      );

      await expectStatus(
        call(
          client,
          client.createApiKey,
          { name: 'wider', scopes: ['*'] },
          await as('acme', ['api-keys:write', 'numbers:read']),
        ),
        status.PERMISSION_DENIED,
        'SCOPE_ESCALATION',
      );
      await expectStatus(
        call(client, client.createApiKey, { name: 'admin', scopes: ['platform:admin'] }, await as('acme')),
        status.INVALID_ARGUMENT,
        'API_KEY_INVALID_REQUEST',
      );
    });

    it('records when a key was last used, writing at most once a minute per key', async () => {
      const { secret, apiKey } = await call(
        client,
        client.createApiKey,
        { name: 'touch', scopes: ['numbers:read'] },
        await as('acme'),
      );
      const lastUsed = async () =>
        (
          await withTenant(db(), 'acme', (tx) =>
            tx.execute<{ at: string | null }>(
              sql`select (extract(epoch from last_used_at) * 1000)::text as at from api_keys where id = ${apiKey?.id}`,
            ),
          )
        ).rows[0]?.at;
      expect(await lastUsed()).toBeNull();
      const gateway = await as('', ['internal']);
      await call(client, client.authenticateApiKey, { secret }, gateway);
      const first = await lastUsed();
      expect(Number(first)).toBeGreaterThan(Date.now() - 60_000);
      await call(client, client.authenticateApiKey, { secret }, gateway);
      expect(await lastUsed()).toEqual(first);
      await withTenant(db(), 'acme', (tx) =>
        tx.execute(
          sql`update api_keys set last_used_at = now() - interval '2 minutes' where id = ${apiKey?.id}`,
        ),
      );
      const stale = await lastUsed();
      await call(client, client.authenticateApiKey, { secret }, gateway);
      expect(Number(await lastUsed())).toBeGreaterThan(Number(stale) + 60_000);
    });

    it('refuses a valid key while its tenant is not active (TENANT_INACTIVE), and accepts it again after', async () => {
      const { secret } = await call(
        client,
        client.createApiKey,
        { name: 'suspended', scopes: ['numbers:read'] },
        await as('acme'),
      );
      const gateway = await as('', ['internal']);
      const setStatus = (status: string) =>
        withTenant(db(), 'acme', (tx) =>
          tx.execute(sql`update tenants set status = ${status} where tenant_id = 'acme'`),
        );
      await setStatus('suspended');
      try {
        await expectStatus(
          call(client, client.authenticateApiKey, { secret }, gateway),
          status.UNAUTHENTICATED,
          'TENANT_INACTIVE',
        );
      } finally {
        await setStatus('active');
      }
      expect((await call(client, client.authenticateApiKey, { secret }, gateway)).apiKey?.tenantId).toBe(
        'acme',
      );
    });

    it('rejects a tampered or expired key, and only the gateway may ask', async () => {
      const { secret, apiKey } = await call(
        client,
        client.createApiKey,
        { name: 'short', scopes: ['*'] },
        await as('acme'),
      );
      const gateway = await as('', ['internal']);
      await expectStatus(
        call(
          client,
          client.authenticateApiKey,
          { secret: `${secret.slice(0, -1)}${secret.endsWith('A') ? 'B' : 'A'}` },
          gateway,
        ),
        status.UNAUTHENTICATED,
        'API_KEY_INVALID',
      );
      await withTenant(db(), 'acme', (tx) =>
        tx.execute(
          sql`update api_keys set expires_at = now() - interval '1 second' where id = ${apiKey?.id}`,
        ),
      );
      await expectStatus(
        call(client, client.authenticateApiKey, { secret }, gateway),
        status.UNAUTHENTICATED,
        'API_KEY_EXPIRED',
      );
      await expectStatus(
        call(client, client.authenticateApiKey, { secret }, await as('acme')),
        status.PERMISSION_DENIED,
        'SCOPE_MISSING',
      );
    });
    it('finds a key by its keyed hash: an unknown key and a wrong secret behind a real prefix fail alike', async () => {
      const { secret } = await call(
        client,
        client.createApiKey,
        { name: 'fast', scopes: ['*'] },
        await as('acme'),
      );
      const gateway = await as('', ['internal']);
      const digest = createHmac('sha256', TEST_API_KEY_PEPPER).update(secret).digest();
      const lookup = await db().execute<{ secret_digest: Buffer }>(
        sql`select secret_digest from api_key_lookup where lookup_id = ${parseKey(secret)!.lookupId}`,
      );
      expect(lookup.rows[0]?.secret_digest.equals(digest)).toBe(true);
      expect((await call(client, client.authenticateApiKey, { secret }, gateway)).apiKey?.tenantId).toBe(
        'acme',
      );
      const wrongSecret = `${secret.slice(0, -32)}${'A'.repeat(32)}`;
      const unknown = `prl_${'Z'.repeat(12)}_${secret.slice(-32)}`;
      for (const presented of [wrongSecret, unknown]) {
        await expectStatus(
          call(client, client.authenticateApiKey, { secret: presented }, gateway),
          status.UNAUTHENTICATED,
          'API_KEY_INVALID',
        );
      }
    });

    it('still accepts a key issued with an scrypt hash, and upgrades it to the keyed hash on first use', async () => {
      const key = generateKey();
      const id = randomUUID();
      await withTenant(db(), 'acme', async (tx) => {
        await tx.execute(
          sql`insert into api_key_lookup (lookup_id, tenant_id) values (${key.lookupId}, 'acme')`,
        );
        await tx.execute(
          sql`insert into api_keys (id, tenant_id, lookup_id, name, scopes, secret_hash)
              values (${id}, 'acme', ${key.lookupId}, 'issued long ago', ${textArray(['numbers:read'])}, ${await hashSecret(key.secret)})`,
        );
      });
      const storedHash = () =>
        withTenant(
          db(),
          'acme',
          async (tx) =>
            (
              await tx.execute<{ secret_hash: string }>(
                sql`select secret_hash from api_keys where id = ${id}`,
              )
            ).rows[0]?.secret_hash,
        );
      const gateway = await as('', ['internal']);

      // A wrong secret behind the old key's prefix is refused and changes nothing.
      await expectStatus(
        call(client, client.authenticateApiKey, { secret: `${key.prefix}_${'A'.repeat(32)}` }, gateway),
        status.UNAUTHENTICATED,
        'API_KEY_INVALID',
      );
      expect(await storedHash()).toMatch(/^scrypt\$/);

      const first = await call(client, client.authenticateApiKey, { secret: key.full }, gateway);
      expect(first.apiKey).toMatchObject({ id, tenantId: 'acme', scopes: ['numbers:read'] });
      const digest = createHmac('sha256', TEST_API_KEY_PEPPER).update(key.full).digest();
      expect(await storedHash()).toBe(`hmac-sha256$${digest.toString('base64')}`);
      const lookup = await db().execute<{ secret_digest: Buffer }>(
        sql`select secret_digest from api_key_lookup where lookup_id = ${key.lookupId}`,
      );
      expect(lookup.rows[0]?.secret_digest.equals(digest)).toBe(true);

      const again = await call(client, client.authenticateApiKey, { secret: key.full }, gateway);
      expect(again.apiKey?.id).toBe(id);
      await expectStatus(
        call(client, client.authenticateApiKey, { secret: `${key.prefix}_${'A'.repeat(32)}` }, gateway),
        status.UNAUTHENTICATED,
        'API_KEY_INVALID',
      );
    });
  });

  describe('IdentityService/SignTwilioCallback', () => {
    const request = { url: 'https://example.com/sms?x=1', params: { To: '+14155550100', Body: 'Hi' } };

    it("signs with the tenant's newest auth token, for internal callers only", async () => {
      await expectStatus(
        call(client, client.signTwilioCallback, request, await as('acme', ['internal'])),
        status.FAILED_PRECONDITION,
        'TWILIO_AUTH_TOKEN_MISSING',
      );
      const first = await call(client, client.rotateTwilioAuthToken, {}, await as('acme'));
      const second = await call(client, client.rotateTwilioAuthToken, {}, await as('acme'));
      const { signature } = await call(
        client,
        client.signTwilioCallback,
        request,
        await as('acme', ['internal']),
      );
      // The previous token still authenticates (overlap), but callbacks are signed with the newest.
      expect(signature).toBe(twilioSignature(second.authToken, request.url, request.params));
      expect(signature).not.toBe(twilioSignature(first.authToken, request.url, request.params));
      await expectStatus(
        call(client, client.signTwilioCallback, request, await as('acme', ['api-keys:write'])),
        status.PERMISSION_DENIED,
      );
      await expectStatus(
        call(
          client,
          client.signTwilioCallback,
          { ...request, url: 'ftp://x' },
          await as('acme', ['internal']),
        ),
        status.INVALID_ARGUMENT,
        'TWILIO_CALLBACK_INVALID',
      );
    });
  });

  describe('OAuth clients', () => {
    it('creates a client-credentials client whose tokens carry the tenant and scopes, until it is revoked', async () => {
      const { client: created, clientSecret } = await call(
        client,
        client.createOAuthClient,
        { name: 'CRM sync', scopes: ['numbers:read', 'messages:write'] },
        await as('acme'),
      );
      expect(created).toMatchObject({ name: 'CRM sync', tokenUrl: tokenUrl(service) });
      const grant = await clientGrant(created!.tokenUrl, created!.clientId, clientSecret);
      expect(grant.status).toBe(200);
      expect(decodeJwt(grant.body.access_token!)).toMatchObject({
        tenant_id: 'acme',
        parley_scopes: 'numbers:read messages:write',
        aud: ['parley-api'],
      });
      expect((await clientGrant(created!.tokenUrl, created!.clientId, 'wrong')).status).toBe(401);
      expect(
        (await call(client, client.listOAuthClients, {}, await as('acme'))).clients.map((c) => c.id),
      ).toContain(created!.id);
      expect((await call(client, client.listOAuthClients, {}, await as('globex'))).clients).toEqual([]);
      await call(client, client.revokeOAuthClient, { id: created!.id }, await as('acme'));
      expect((await clientGrant(created!.tokenUrl, created!.clientId, clientSecret)).status).toBe(401);
    });
  });

  describe('tenant walls (row-level security)', () => {
    it('covers every tenant table, and holds against hand-written SQL', async () => {
      expect(await expectEveryTenantTableWalled(db())).toEqual([
        'accounts',
        'api_keys',
        'oauth_clients',
        'tenants',
        'twilio_auth_tokens',
      ]);
      await expectTenantWall(db(), {
        table: 'twilio_auth_tokens',
        tenants: ['acme', 'globex'],
        insert: (tenantId) =>
          sql`insert into twilio_auth_tokens (id, tenant_id, sealed_token) values (gen_random_uuid(), ${tenantId}, '\\x00')`,
      });
      await expectTenantWall(db(), {
        table: 'api_keys',
        tenants: ['acme', 'globex'],
        insert: (tenantId) =>
          sql`insert into api_keys (id, tenant_id, lookup_id, name, scopes, secret_hash)
              values (gen_random_uuid(), ${tenantId}, substr(md5(random()::text), 1, 12), 'wall', '{*}', 'x')`,
      });
      await expectTenantWall(db(), {
        table: 'accounts',
        tenants: ['acme', 'globex'],
        insert: (tenantId) =>
          sql`insert into accounts (id, tenant_id, full_name, email, age_attested)
              values (gen_random_uuid(), ${tenantId}, 'Wall', ${`wall-${Math.random()}@example.com`}, true)`,
      });
      await expectTenantWall(db(), {
        table: 'oauth_clients',
        tenants: ['acme', 'globex'],
        insert: (tenantId) =>
          sql`insert into oauth_clients (id, tenant_id, name, client_id, idp_client_id, scopes)
              values (gen_random_uuid(), ${tenantId}, 'wall', ${`wall-${Math.random()}`}, 'x', '{tenant:read}')`,
      });
    });
  });

  it('publishes what it records', async () => {
    await eventually('the outbox to drain', async () => {
      const pending = await db().execute<{ n: number }>(sql`select count(*)::int as n from kit_outbox`);
      if (pending.rows[0]?.n !== 0) throw new Error('still pending');
    });
  });
});
