// Sends authorised by billing over gRPC: a prepaid tenant with no balance cannot send; a top-up charged
// through the payment simulator (its own process) unblocks it at once; the sent message is then rated and
// debited by billing from messaging's own event.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { status } from '@grpc/grpc-js';
import { call, createClient } from '@parley/kit';
import { billingPaymentsV1, billingV1 } from '@parley/proto';
import { sql } from 'drizzle-orm';
import { freePort } from '../../../../tools/dev/src/ports';
import { as } from '../../../../tests/support/callers';
import { eventually, expectStatus } from '../../../../tests/support/grpc';
import { startPaymentSim, type PaymentSimHandle } from '../../../../tests/support/paymentSim';
import { startService, type RunningService } from '../../../../tests/support/service';
import { buildApp as buildBilling, type BillingApp } from '../../../billing/src/app';
import { loadConfig as billingConfig } from '../../../billing/src/config';
import { PAYMENT_WEBHOOK_PATH } from '../../../billing/src/processor/onProcessorWebhook';
import { startMessaging, type MessagingUnderTest } from './messagingForTests';

describe('messaging: sends authorised by billing', () => {
  let under: MessagingUnderTest;
  let billing: RunningService<BillingApp>;
  let billingClient: billingV1.BillingServiceClient;
  let payments: billingPaymentsV1.PaymentsServiceClient;
  let sim: PaymentSimHandle;
  const tenant = 'prepaid';
  let from = '';

  beforeAll(async () => {
    const port = await freePort();
    sim = await startPaymentSim();
    under = await startMessaging({ env: { BILLING_ADDR: `127.0.0.1:${port}` } });
    billing = await startService('billing', (env) => buildBilling(billingConfig(env)), {
      ...sim.billingEnv,
      PAYMENT_WEBHOOK_PORT: '0',
      NATS_PREFIX: under.messaging.natsPrefix,
      GRPC_PORT: String(port),
    });
    await sim.setWebhookEndpoint(`${billing.app.paymentWebhooks()!.url}${PAYMENT_WEBHOOK_PATH}`);
    billingClient = createClient(billingV1.BillingServiceClient, billing.address, {
      serviceName: 'parley.billing.v1.BillingService',
    });
    payments = createClient(billingPaymentsV1.PaymentsServiceClient, billing.address, {
      serviceName: 'parley.billing.v1.PaymentsService',
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
    payments?.close();
    await under?.stop();
    await billing?.stop();
    await sim?.stop();
  });

  const balance = async () =>
    (await call(billingClient, billingClient.getBalance, {}, await as(tenant))).balanceMinor;

  /** The tenant's call with a request id, as the gateway makes it from an Idempotency-Key. */
  const asPayer = async () => {
    const options = await as(tenant);
    options.metadata.set('parley-request-id', randomUUID());
    return options;
  };

  it('refuses a prepaid tenant with no balance, and sends once a card top-up succeeds', async () => {
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
    // The customer's browser tokenises the card with the processor; billing keeps the token and charges it.
    const token = await sim.tokenise('4242424242424242');
    await call(payments, payments.createPaymentMethod, { token, makeDefault: true }, await asPayer());
    const { topUp } = await call(
      payments,
      payments.createTopUp,
      { amount: { currency: 'USD', minorUnits: String(owed + 100n) }, paymentMethodId: '' },
      await asPayer(),
    );
    expect(topUp!.status).toBe(billingPaymentsV1.TopUpStatus.TOP_UP_STATUS_SUCCEEDED);
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
