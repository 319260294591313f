// A billing process SIGKILLed while a top-up's (or an invoice payment's) charge is in flight at the
// processor: the charge goes through without it, and the top-up is credited (the invoice paid) exactly once
// after a restart, by the processor's webhook and the client's retry together.
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'drizzle-orm';
import { call, createClient, withTenant } from '@parley/kit';
import { billingPaymentsV1 } from '@parley/proto';
import { freePort } from '../../../../tools/dev/src/ports';
import { as } from '../../../../tests/support/callers';
import { eventually } from '../../../../tests/support/grpc';
import { uniquePrefix } from '../../../../tests/support/infra';
import { startPaymentSim, type PaymentSimHandle } from '../../../../tests/support/paymentSim';
import { ServiceProcesses } from '../../../../tests/support/serviceProcess';
import { PAYMENT_WEBHOOK_PATH } from '../../src/processor/onProcessorWebhook';

const TENANT = 'crash-payer';
const PAYER = 'crash-invoice-payer';

describe('billing: SIGKILL while a top-up is being charged', () => {
  let sim: PaymentSimHandle;
  const billing = new ServiceProcesses('billing', uniquePrefix('billing-crash'));

  beforeAll(async () => {
    // Every processor call waits long enough to kill billing while its charge is in flight.
    sim = await startPaymentSim({ PAYMENT_SIM_LATENCY_MS: '1500' });
    await billing.open();
  });

  afterAll(async () => {
    await billing.close();
    await sim?.stop();
  });

  /**
   * Starts `request`, SIGKILLs billing (`process`) once its charge has reached the processor, and waits for
   * the processor to charge the card without it: the request fails, the charge succeeds.
   */
  async function killMidCharge(process: ChildProcess, request: () => Promise<unknown>) {
    const before = await sim.counters();
    const inFlight = request().then(
      () => 'answered',
      () => 'failed',
    );
    await eventually('the charge to reach the processor', async () => {
      const now = await sim.counters();
      if (now.requestsReceived! <= before.requestsReceived!) throw new Error('not yet');
    });
    process.kill('SIGKILL');
    await new Promise((resolve) => process.once('exit', resolve));
    expect(await inFlight).toBe('failed');
    await eventually('the processor to charge the card', async () => {
      const now = await sim.counters();
      if ((now.chargesSucceeded ?? 0) <= (before.chargesSucceeded ?? 0)) throw new Error('not yet');
    });
    return before;
  }

  it('credits the top-up once after a restart, charged once at the processor', async () => {
    const [grpcPort, webhookPort] = [await freePort(), await freePort()];
    const env = { ...sim.billingEnv, PAYMENT_WEBHOOK_PORT: String(webhookPort) };
    const first = await billing.start(grpcPort, env);
    await sim.setWebhookEndpoint(`http://127.0.0.1:${webhookPort}${PAYMENT_WEBHOOK_PATH}`);
    await withTenant(billing.db, TENANT, (tx) =>
      tx.execute(sql`insert into billing_accounts (tenant_id, currency) values (${TENANT}, 'USD')`),
    );
    const client = createClient(billingPaymentsV1.PaymentsServiceClient, `127.0.0.1:${grpcPort}`, {
      serviceName: 'parley.billing.v1.PaymentsService',
    });
    const requestId = randomUUID();
    const withRequestId = async () => {
      const options = await as(TENANT);
      options.metadata.set('parley-request-id', requestId);
      return { ...options, timeoutMs: 20_000 };
    };
    const topUp = async () =>
      call(
        client,
        client.createTopUp,
        { amount: { currency: 'USD', minorUnits: '4200' }, paymentMethodId: '' },
        await withRequestId(),
      );
    try {
      const token = await sim.tokenise('4242424242424242');
      await call(client, client.createPaymentMethod, { token, makeDefault: true }, await as(TENANT));

      const before = await killMidCharge(first, topUp);
      const pending = await withTenant(billing.db, TENANT, (tx) =>
        tx.execute<{ status: string }>(sql`select status from top_ups`),
      );
      expect(pending.rows).toEqual([{ status: 'pending' }]);

      await billing.start(grpcPort, env);
      // The client retries the same request while the webhook arrives: one top-up, one charge, one credit.
      const { topUp: retried } = await topUp();
      expect(retried!.status).toBe(billingPaymentsV1.TopUpStatus.TOP_UP_STATUS_SUCCEEDED);
      await eventually('the delayed webhook to be handled', async () => {
        const events = await withTenant(billing.db, TENANT, (tx) =>
          tx.execute<{ type: string }>(sql`select type from payment_webhook_events`),
        );
        if (events.rows.length === 0) throw new Error('not yet');
      });
      const credits = await withTenant(billing.db, TENANT, (tx) =>
        tx.execute<{ reference: string; amount_minor: string }>(
          sql`select reference, amount_minor::text from wallet_credits`,
        ),
      );
      expect(credits.rows).toEqual([{ reference: `top-up:${retried!.id}`, amount_minor: '4200' }]);
      const account = await withTenant(billing.db, TENANT, (tx) =>
        tx.execute<{ balance: string }>(sql`select balance_minor::text as balance from billing_accounts`),
      );
      expect(account.rows).toEqual([{ balance: '4200' }]);
      const after = await sim.counters();
      expect((after.chargesCreated ?? 0) - (before.chargesCreated ?? 0)).toBe(1);
    } finally {
      client.close();
    }
  }, 120_000);
  it('pays an invoice once after a restart when billing is killed between the charge and its commit', async () => {
    const [grpcPort, webhookPort] = [await freePort(), await freePort()];
    const env = { ...sim.billingEnv, PAYMENT_WEBHOOK_PORT: String(webhookPort) };
    const first = await billing.start(grpcPort, env);
    await sim.setWebhookEndpoint(`http://127.0.0.1:${webhookPort}${PAYMENT_WEBHOOK_PATH}`);
    const invoiceId = randomUUID();
    await withTenant(billing.db, PAYER, async (tx) => {
      await tx.execute(sql`insert into billing_accounts (tenant_id, currency, billing_mode)
        values (${PAYER}, 'USD', 'postpaid')`);
      // An issued invoice as the invoice run leaves it (its own charge job is not part of this test).
      await tx.execute(sql`insert into invoices (id, tenant_id, kind, period, number, state, currency,
          subtotal_minor, tax_minor, total_minor, seller, buyer, due_at)
        values (${invoiceId}, ${PAYER}, 'invoice', '2026-10', 'INV-202610-0001', 'issued', 'USD',
          3100, 0, 3100, '{}'::jsonb, '{}'::jsonb, now() + interval '14 days')`);
    });
    const client = createClient(billingPaymentsV1.PaymentsServiceClient, `127.0.0.1:${grpcPort}`, {
      serviceName: 'parley.billing.v1.PaymentsService',
    });
    const requestId = randomUUID();
    const withRequestId = async () => {
      const options = await as(PAYER);
      options.metadata.set('parley-request-id', requestId);
      return { ...options, timeoutMs: 20_000 };
    };
    const pay = async () =>
      call(client, client.createInvoicePayment, { invoiceId, paymentMethodId: '' }, await withRequestId());
    try {
      const token = await sim.tokenise('4242424242424242');
      await call(client, client.createPaymentMethod, { token, makeDefault: true }, await as(PAYER));
      const before = await killMidCharge(first, pay);
      const stateOf = async () =>
        (
          await withTenant(billing.db, PAYER, (tx) =>
            tx.execute<{ state: string; paid: string; payments: string }>(
              sql`select state, paid_minor::text as paid,
                (select string_agg(status, ',') from invoice_payments where invoice_id = ${invoiceId}) as payments
                from invoices where id = ${invoiceId}`,
            ),
          )
        ).rows[0];
      expect(await stateOf()).toEqual({ state: 'issued', paid: '0', payments: 'pending' });

      await billing.start(grpcPort, env);
      // The client retries while the processor's webhook comes in: one payment, one charge, paid once.
      const { payment } = await pay();
      expect(payment).toMatchObject({ status: 'succeeded', amount: { minorUnits: '3100' } });
      await eventually('the delayed webhook to be handled', async () => {
        const events = await withTenant(billing.db, PAYER, (tx) =>
          tx.execute<{ type: string }>(sql`select type from payment_webhook_events`),
        );
        if (events.rows.length === 0) throw new Error('not yet');
      });
      expect(await stateOf()).toEqual({ state: 'paid', paid: '3100', payments: 'succeeded' });
      const after = await sim.counters();
      expect((after.chargesCreated ?? 0) - (before.chargesCreated ?? 0)).toBe(1);
    } finally {
      client.close();
    }
  }, 120_000);
});
