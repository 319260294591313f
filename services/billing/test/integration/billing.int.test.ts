import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { status } from '@grpc/grpc-js';
import { sql } from 'drizzle-orm';
import { call, createClient } from '@parley/kit';
import { as, asPlatform } from '../../../../tests/support/callers';
import { billingV1, identityV1 } from '@parley/proto';
import { startService, type RunningService } from '../../../../tests/support/service';
import { uniquePrefix } from '../../../../tests/support/infra';
import { eventually, expectStatus } from '../../../../tests/support/grpc';
import { expectEveryTenantTableWalled, expectTenantWall } from '../../../../tests/support/rls';
import { buildApp, type BillingApp } from '../../src/app';
import { loadConfig } from '../../src/config';
import { startIdentity, type IdentityApp } from '../../../identity/test/integration/identityForTests';

describe('billing service', () => {
  let billing: RunningService<BillingApp>;
  let identity: RunningService<IdentityApp>;
  let billingClient: billingV1.BillingServiceClient;
  let identityClient: identityV1.IdentityServiceClient;
  const natsPrefix = uniquePrefix('billing');

  beforeAll(async () => {
    // Billing first: its consumer must cope with identity's stream not existing yet.
    billing = await startService('billing', (env) => buildApp(loadConfig(env)), {
      NATS_PREFIX: natsPrefix,
      BILLING_DEFAULT_CURRENCY: 'EUR',
    });
    identity = await startIdentity({ NATS_PREFIX: natsPrefix });
    billingClient = createClient(billingV1.BillingServiceClient, billing.address, {
      serviceName: 'parley.billing.v1.BillingService',
    });
    identityClient = createClient(identityV1.IdentityServiceClient, identity.address, {
      serviceName: 'parley.identity.v1.IdentityService',
    });
  });

  afterAll(async () => {
    billingClient?.close();
    identityClient?.close();
    await identity?.stop();
    await billing?.stop();
  });

  describe('billing-on-tenant-created', () => {
    it('opens a zero-balance account for a tenant identity creates', async () => {
      await call(
        identityClient,
        identityClient.createTenant,
        {
          id: 'initech',
          name: 'Initech',
          tenancyMode: identityV1.TenancyMode.TENANCY_MODE_POOLED,
          jurisdiction: identityV1.Jurisdiction.JURISDICTION_CCPA,
          minimumAge: 0,
        },
        await asPlatform(),
      );
      const balance = await eventually('the billing account to open', async () =>
        call(billingClient, billingClient.getBalance, {}, await as('initech')),
      );

      expect(balance).toMatchObject({ tenantId: 'initech', currency: 'EUR', balanceMinor: '0' });
      const inbox = await billing.app.runtime.db.execute<{ n: number }>(
        sql`select count(*)::int as n from kit_inbox where consumer = 'billing-on-tenant-created'`,
      );
      expect(inbox.rows[0]?.n).toBe(1);
    });
  });

  describe('BillingService/GetBalance', () => {
    it('answers NOT_FOUND for a tenant without an account', async () => {
      await expectStatus(
        call(billingClient, billingClient.getBalance, {}, await as('nobody')),
        status.NOT_FOUND,
        'BILLING_ACCOUNT_NOT_FOUND',
      );
    });
  });

  describe('tenant walls (row-level security)', () => {
    it('covers every tenant table, and holds against hand-written SQL', async () => {
      expect(await expectEveryTenantTableWalled(billing.app.runtime.db)).toEqual([
        'billing_accounts',
        'payment_methods',
        'payment_webhook_events',
        'refunds',
        'top_ups',
        'wallet_credits',
      ]);
      await expectTenantWall(billing.app.runtime.db, {
        table: 'billing_accounts',
        insert: (tenantId) =>
          sql`insert into billing_accounts (tenant_id) values (${tenantId}) on conflict do nothing`,
      });
    });
  });
});
