// Sends authorised by billing over gRPC: a prepaid tenant with no balance cannot send; a top-up unblocks it
// at once; the sent message is then rated and debited by billing from messaging's own event.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { status } from '@grpc/grpc-js';
import { call, createClient, Money } from '@parley/kit';
import { billingV1 } from '@parley/proto';
import { sql } from 'drizzle-orm';
import { freePort } from '../../../../tools/dev/src/ports';
import { as } from '../../../../tests/support/callers';
import { eventually, expectStatus } from '../../../../tests/support/grpc';
import { startService, type RunningService } from '../../../../tests/support/service';
import { buildApp as buildBilling, type BillingApp } from '../../../billing/src/app';
import { loadConfig as billingConfig } from '../../../billing/src/config';
import { startMessaging, type MessagingUnderTest } from './messagingForTests';

describe('messaging: sends authorised by billing', () => {
  let under: MessagingUnderTest;
  let billing: RunningService<BillingApp>;
  let billingClient: billingV1.BillingServiceClient;
  const tenant = 'prepaid';
  let from = '';

  beforeAll(async () => {
    const port = await freePort();
    under = await startMessaging({ env: { BILLING_ADDR: `127.0.0.1:${port}` } });
    billing = await startService('billing', (env) => buildBilling(billingConfig(env)), {
      NATS_PREFIX: under.messaging.natsPrefix,
      GRPC_PORT: String(port),
    });
    billingClient = createClient(billingV1.BillingServiceClient, billing.address, {
      serviceName: 'parley.billing.v1.BillingService',
    });
    // The account identity's tenant.created would open: prepaid, USD, on the seeded standard plan, empty.
    await billing.app.runtime.withTenant(tenant, (tx) =>
      tx.execute(
        sql`insert into billing_accounts (tenant_id, currency, plan_id) values (${tenant}, 'USD', 'standard')`,
      ),
    );
    from = await under.buyNumber(tenant);
  });

  afterAll(async () => {
    billingClient?.close();
    await under?.stop();
    await billing?.stop();
  });

  const balance = async () =>
    (await call(billingClient, billingClient.getBalance, {}, await as(tenant))).balanceMinor;

  it('refuses a prepaid tenant with no balance, and sends once it is topped up', async () => {
    // The number's first month (billing rates numbering.number.assigned) takes the balance below zero.
    const owed = await eventually('the number rent to be charged', async () => {
      const now = BigInt(await balance());
      if (now >= 0n) throw new Error(String(now));
      return -now;
    });
    await expectStatus(
      under.send(tenant, { from, to: '+14155550100', body: 'Hello' }),
      status.FAILED_PRECONDITION,
      'INSUFFICIENT_BALANCE',
    );
    await billing.app.runtime.withTenant(tenant, (tx) =>
      billing.app.wallet.credit(tx, tenant, Money.of(owed + 100n, 'USD'), 'top-up-1'),
    );
    const sent = await eventually('the top-up to unblock sending', () =>
      under.send(tenant, { from, to: '+14155550100', body: 'Hello' }),
    );
    expect(sent.status).toBe('queued');
    // Rated from messaging.message.sent: one segment at USD 0.0079 -> 0.01.
    await eventually('the send to be rated and debited', async () => {
      const now = await balance();
      if (now !== '99') throw new Error(now);
    });
  });
});
