import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { AppError } from '@parley/kit';
import { TokenVerifier } from './auth';

/** A stand-in JWKS endpoint on loopback that serves one realm's public key, as Keycloak does. */
describe('TokenVerifier', () => {
  let server: Server;
  let base = '';
  let sign: (claims: Record<string, unknown>, issuer?: string, audience?: string) => Promise<string>;
  let fetches = 0;

  beforeAll(async () => {
    const { privateKey, publicKey } = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    server = createServer((request, response) => {
      fetches += 1;
      if (request.url?.endsWith('/protocol/openid-connect/certs')) {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ keys: [jwk] }));
      } else {
        response.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const address = server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    sign = (claims, issuer = `${base}/realms/parley`, audience = 'parley-api') =>
      new SignJWT({ tenant_id: 'acme', ...claims })
        .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
        .setIssuer(issuer)
        .setAudience(audience)
        .setSubject('user-1')
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(privateKey);
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const reasonOf = async (work: Promise<unknown>) =>
    work.then(
      () => 'accepted',
      (error: unknown) => (error instanceof AppError ? error.reason : String(error)),
    );

  it("turns a user's roles into scopes, and a client's parley_scopes into its scopes", async () => {
    const verifier = new TokenVerifier({ baseUrl: base, sharedRealm: 'parley', audience: 'parley-api' });
    const user = await verifier.verify(await sign({ realm_access: { roles: ['billing'] } }));
    expect(user.caller).toEqual({
      tenantId: 'acme',
      principal: 'user:user-1',
      scopes: ['tenant:read', 'profile', 'billing:write'],
    });
    const client = await verifier.verify(await sign({ azp: 'crm', parley_scopes: 'numbers:read * bogus' }));
    expect(client.caller).toEqual({ tenantId: 'acme', principal: 'client:crm', scopes: ['numbers:read'] });
  });

  it('fetches the realm keys once and reuses them', async () => {
    const verifier = new TokenVerifier({ baseUrl: base, sharedRealm: 'parley', audience: 'parley-api' });
    const before = fetches;
    for (let index = 0; index < 3; index += 1) await verifier.verify(await sign({}));
    expect(fetches - before).toBe(1);
  });

  it('refuses untrusted issuers, wrong audiences and missing tenants', async () => {
    const verifier = new TokenVerifier({ baseUrl: base, sharedRealm: 'parley', audience: 'parley-api' });
    expect(await reasonOf(verifier.verify(await sign({}, `${base}/realms/master`)))).toBe(
      'TOKEN_ISSUER_UNTRUSTED',
    );
    expect(await reasonOf(verifier.verify(await sign({}, 'https://elsewhere.example/realms/parley')))).toBe(
      'TOKEN_ISSUER_UNTRUSTED',
    );
    expect(await reasonOf(verifier.verify(await sign({}, undefined, 'account')))).toBe(
      'TOKEN_AUDIENCE_INVALID',
    );
    expect(await reasonOf(verifier.verify(await sign({ tenant_id: 'Not A Slug' })))).toBe(
      'TOKEN_TENANT_MISSING',
    );
    expect(await reasonOf(verifier.verify('abc.def.ghi'))).toBe('TOKEN_INVALID');
  });

  it('in a dedicated release trusts only the tenant realm, and only for that tenant', async () => {
    const verifier = new TokenVerifier({
      baseUrl: base,
      sharedRealm: 'parley',
      audience: 'parley-api',
      dedicatedTenant: 'acme',
    });
    expect(await reasonOf(verifier.verify(await sign({}, `${base}/realms/tenant-acme`)))).toBe('accepted');
    expect(await reasonOf(verifier.verify(await sign({})))).toBe('TOKEN_ISSUER_UNTRUSTED');
    expect(
      await reasonOf(verifier.verify(await sign({ tenant_id: 'other' }, `${base}/realms/tenant-acme`))),
    ).toBe('TOKEN_TENANT_MISMATCH');
  });

  it('accepts no tokens at all when no issuer is configured', async () => {
    const verifier = new TokenVerifier({ sharedRealm: 'parley', audience: 'parley-api' });
    expect(await reasonOf(verifier.verify(await sign({})))).toBe('TOKEN_ISSUER_UNTRUSTED');
  });
});
