// Internal caller tokens across the whole platform, over real gRPC: only the gateway's private key may
// assert a tenant user or a platform admin; every other service's key may assert only itself with the
// internal scope; the old HS256 shared-secret tokens are refused everywhere.
import { createPrivateKey } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Metadata, status } from '@grpc/grpc-js';
import { SignJWT } from 'jose';
import {
  call,
  createClient,
  generateInternalTokenKeyPair,
  INTERNAL_TOKEN_METADATA_KEY,
  type Caller,
} from '@parley/kit';
import { billingV1, identityV1, messagingV1, numberingV1, participantV1, privacyV1 } from '@parley/proto';
import { expectStatus } from '../../../../tests/support/grpc';
import { as, asPlatform, TEST_INTERNAL_TOKEN_KEYS, tokensOf } from '../../../../tests/support/callers';
import { startPlatform, type Platform } from '../../../../tests/support/platform';

/** Signs `caller` as `issuer` with `privateKey`, skipping the signer's own check, as a compromised service would. */
async function forge(issuer: string, privateKey: string, caller: Caller): Promise<{ metadata: Metadata }> {
  const key = createPrivateKey({ key: JSON.parse(privateKey) as never, format: 'jwk' });
  const token = await new SignJWT({ tid: caller.tenantId, scp: caller.scopes })
    .setProtectedHeader({ alg: 'EdDSA', kid: issuer })
    .setIssuer(issuer)
    .setAudience('parley-services')
    .setSubject(caller.principal)
    .setIssuedAt()
    .setExpirationTime('1m')
    .sign(key);
  const metadata = new Metadata();
  metadata.set(INTERNAL_TOKEN_METADATA_KEY, token);
  return { metadata };
}

/** A token in the old shape: HS256 under a shared secret, claiming a platform admin. */
async function oldSharedSecretToken(): Promise<{ metadata: Metadata }> {
  const token = await new SignJWT({ tid: 'platform', scp: ['*', 'platform:admin'] })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer('parley')
    .setAudience('parley-services')
    .setSubject('mallory')
    .setIssuedAt()
    .setExpirationTime('1m')
    .sign(new TextEncoder().encode('test-internal-token-key-0123456789abcdef'));
  const metadata = new Metadata();
  metadata.set(INTERNAL_TOKEN_METADATA_KEY, token);
  return { metadata };
}

const tenantUser: Caller = { tenantId: 'acme', principal: 'user:mallory', scopes: ['*'] };
const platformAdmin: Caller = { tenantId: 'platform', principal: 'mallory', scopes: ['*', 'platform:admin'] };
const privacyAsAdmin: Caller = {
  tenantId: '',
  principal: 'service:privacy',
  scopes: ['internal', 'platform:admin'],
};

describe('internal caller tokens across services', () => {
  let platform: Platform;
  /** One call per service that any forged caller would need to pass. */
  let targets: Record<string, (options: { metadata: Metadata }) => Promise<unknown>>;
  const closers: (() => void)[] = [];

  beforeAll(async () => {
    platform = await startPlatform();
    const { backends, gateway } = platform;
    const client = <C extends { close(): void }>(made: C) => {
      closers.push(() => made.close());
      return made;
    };
    const identity = client(
      createClient(identityV1.IdentityServiceClient, backends.identity.address, {
        serviceName: 'parley.identity.v1.IdentityService',
      }),
    );
    const numbering = client(
      createClient(numberingV1.NumberingServiceClient, backends.numbering.address, {
        serviceName: 'parley.numbering.v1.NumberingService',
      }),
    );
    const messaging = client(
      createClient(messagingV1.MessagingServiceClient, backends.messaging.address, {
        serviceName: 'parley.messaging.v1.MessagingService',
      }),
    );
    const billing = client(
      createClient(billingV1.BillingServiceClient, backends.billing.address, {
        serviceName: 'parley.billing.v1.BillingService',
      }),
    );
    const privacy = client(
      createClient(privacyV1.PrivacyServiceClient, backends.privacy.address, {
        serviceName: 'parley.privacy.v1.PrivacyService',
      }),
    );
    const gatewayParticipant = client(
      createClient(participantV1.ParticipantServiceClient, gateway.address, {
        serviceName: 'parley.privacy.v1.ParticipantService',
      }),
    );
    await call(
      identity,
      identity.createTenant,
      identityV1.CreateTenantRequest.fromPartial({
        id: 'acme',
        name: 'Acme',
        tenancyMode: identityV1.TenancyMode.TENANCY_MODE_POOLED,
        jurisdiction: identityV1.Jurisdiction.JURISDICTION_GDPR,
      }),
      await asPlatform(),
    );
    targets = {
      identity: (options) =>
        call(identity, identity.listTenants, identityV1.ListTenantsRequest.fromPartial({}), options),
      numbering: (options) =>
        call(numbering, numbering.listNumbers, numberingV1.ListNumbersRequest.fromPartial({}), options),
      messaging: (options) =>
        call(messaging, messaging.listMessages, messagingV1.ListMessagesRequest.fromPartial({}), options),
      billing: (options) =>
        call(billing, billing.getBalance, billingV1.GetBalanceRequest.fromPartial({}), options),
      privacy: (options) =>
        call(privacy, privacy.listRequests, privacyV1.ListRequestsRequest.fromPartial({}), options),
      gateway: (options) =>
        call(
          gatewayParticipant,
          gatewayParticipant.describeData,
          participantV1.DescribeDataRequest.fromPartial({}),
          options,
        ),
    };
  }, 120_000);

  afterAll(async () => {
    for (const close of closers) close();
    await platform?.stop();
  });

  const services = ['identity', 'numbering', 'messaging', 'billing', 'privacy', 'gateway'];

  describe('UNAUTHENTICATED', () => {
    it.each(services)(
      "%s refuses a tenant user or platform admin asserted by any key but the gateway's",
      async (name) => {
        const privacyKey = TEST_INTERNAL_TOKEN_KEYS.privacy.privateKey;
        const unpublished = generateInternalTokenKeyPair('gateway').privateKey;
        const forged = [
          await forge('privacy', privacyKey, tenantUser),
          await forge('privacy', privacyKey, platformAdmin),
          await forge('privacy', privacyKey, privacyAsAdmin),
          await forge('identity', TEST_INTERNAL_TOKEN_KEYS.identity.privateKey, {
            ...platformAdmin,
            principal: 'service:identity',
          }),
          await forge('gateway', unpublished, platformAdmin),
          await forge('gateway', unpublished, tenantUser),
          await forge('gateway', privacyKey, platformAdmin),
          await oldSharedSecretToken(),
        ];
        for (const options of forged) {
          await expectStatus(targets[name]!(options), status.UNAUTHENTICATED, 'CALLER_INVALID');
        }
      },
    );
  });

  describe('OK', () => {
    it.each(services)('%s serves the same calls when the gateway signs them', async (name) => {
      const caller =
        name === 'identity'
          ? await asPlatform()
          : name === 'gateway'
            ? await as('', ['internal'])
            : await as('acme');
      await expect(targets[name]!(caller)).resolves.toBeDefined();
    });

    it('lets a service call another as itself with the internal scope, but not as platform:admin', async () => {
      const privacy = tokensOf('privacy');
      const internal = { tenantId: '', principal: 'service:privacy', scopes: ['internal'] };
      const signed = async (caller: Caller) => {
        const out = new Metadata();
        out.set(INTERNAL_TOKEN_METADATA_KEY, await privacy.sign(caller));
        return { metadata: out };
      };
      const tenants = (await targets.identity!(await signed(internal))) as identityV1.ListTenantsResponse;
      expect(tenants.tenants.map((tenant) => tenant.id)).toContain('acme');
      await expect(targets.gateway!(await signed(internal))).resolves.toBeDefined();
      // Its own signer refuses to sign more, and a forged one is refused by the verifier.
      await expect(privacy.sign({ ...internal, scopes: ['internal', 'platform:admin'] })).rejects.toThrow(
        /may only call as service:privacy/,
      );
      await expectStatus(
        targets.identity!(
          await forge('privacy', TEST_INTERNAL_TOKEN_KEYS.privacy.privateKey, privacyAsAdmin),
        ),
        status.UNAUTHENTICATED,
        'CALLER_INVALID',
      );
      // The internal scope alone opens no tenant RPC.
      await expectStatus(
        targets.numbering!(await signed({ ...internal, tenantId: 'acme' })),
        status.PERMISSION_DENIED,
        'SCOPE_MISSING',
      );
    });
  });
});
