// Payments against the payment simulator as its own process: cards stored as tokens, top-ups credited
// exactly once whatever the processor's answers and webhooks do (twice, late, out of order), refunds.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { status } from '@grpc/grpc-js';
import { sql } from 'drizzle-orm';
import { call, createClient, Money, signPaymentWebhook, withTenant, type JobContext } from '@parley/kit';
import { billingPaymentsV1, billingV1 } from '@parley/proto';
import { as } from '../../../../tests/support/callers';
import { eventually, expectStatus } from '../../../../tests/support/grpc';
import { startPaymentSim, type PaymentSimHandle } from '../../../../tests/support/paymentSim';
import { startService, type RunningService } from '../../../../tests/support/service';
import { publishedEvents } from '../../../../tests/support/streams';
import { buildApp, type BillingApp } from '../../src/app';
import { loadConfig } from '../../src/config';
import { AccountRepository } from '../../src/db/accounts';
import { PlanRepository } from '../../src/db/plans';
import { PAYMENT_WEBHOOK_PATH } from '../../src/processor/onProcessorWebhook';
import { PaymentRepository } from '../../src/db/payments';
import { makeSettleCharge, SETTLE_CHARGE_QUEUE, type SettleChargeJob } from '../../src/jobs/settleCharge';
import { CHARGE_INVOICE_QUEUE, makeChargeInvoice } from '../../src/jobs/chargeInvoice';
import { invoicing as invoicingHelpers, type Invoicing } from '../support/invoicing';

const { TopUpStatus } = billingPaymentsV1;

describe('billing payments', () => {
  let sim: PaymentSimHandle;
  let billing: RunningService<BillingApp>;
  let payments: billingPaymentsV1.PaymentsServiceClient;
  let balances: billingV1.BillingServiceClient;
  let webhookUrl = '';

  /** Options for a call as `tenant`, with a request id (the gateway derives it from Idempotency-Key). */
  const asTenant = async (tenant: string, requestId: string = randomUUID()) => {
    const options = await as(tenant);
    options.metadata.set('parley-request-id', requestId);
    return options;
  };

  const openAccount = (tenant: string) =>
    withTenant(billing.app.runtime.db, tenant, (tx) =>
      new AccountRepository(
        billing.app.runtime.db,
        new PlanRepository(billing.app.runtime.db),
        billing.app.wallet,
      ).open(tx, tenant, 'USD', 'prepaid'),
    );

  const balanceOf = async (tenant: string) =>
    (await call(balances, balances.getBalance, {}, await as(tenant))).balanceMinor;

  const creditsOf = async (tenant: string) =>
    (
      await withTenant(billing.app.runtime.db, tenant, (tx) =>
        tx.execute<{ reference: string; amount_minor: string }>(
          sql`select reference, amount_minor::text from wallet_credits order by created_at`,
        ),
      )
    ).rows;

  async function addCard(tenant: string, number: string, makeDefault = true) {
    const token = await sim.tokenise(number);
    const { paymentMethod } = await call(
      payments,
      payments.createPaymentMethod,
      { token, makeDefault },
      await asTenant(tenant),
    );
    return paymentMethod!;
  }

  const topUp = async (tenant: string, minorUnits: string, requestId?: string) =>
    (
      await call(
        payments,
        payments.createTopUp,
        { amount: { currency: 'USD', minorUnits }, paymentMethodId: '' },
        await asTenant(tenant, requestId),
      )
    ).topUp!;

  const getTopUp = async (tenant: string, id: string) =>
    (await call(payments, payments.getTopUp, { id }, await as(tenant))).topUp!;

  /** What pg-boss hands a job's handler, for a test that runs a handler itself. */
  const jobContext = <Data>(queue: string, tenantId: string, data: Data): JobContext<Data> => ({
    data,
    id: randomUUID(),
    queue,
    retryCount: 0,
    retryLimit: 40,
    createdOn: new Date(),
    tenantId,
    log: billing.app.runtime.log,
    signal: new AbortController().signal,
  });

  beforeAll(async () => {
    sim = await startPaymentSim();
    billing = await startService('billing', (env) => buildApp(loadConfig(env)), {
      ...sim.billingEnv,
      PAYMENT_WEBHOOK_PORT: '0',
    });
    webhookUrl = `${billing.app.paymentWebhooks()!.url}${PAYMENT_WEBHOOK_PATH}`;
    await sim.setWebhookEndpoint(webhookUrl);
    payments = createClient(billingPaymentsV1.PaymentsServiceClient, billing.address, {
      serviceName: 'parley.billing.v1.PaymentsService',
    });
    balances = createClient(billingV1.BillingServiceClient, billing.address, {
      serviceName: 'parley.billing.v1.BillingService',
    });
  });

  afterAll(async () => {
    payments?.close();
    balances?.close();
    await billing?.stop();
    await sim?.stop();
  });

  describe('PaymentsService/CreatePaymentMethod', () => {
    it('keeps the token with the brand, last four digits and expiry the processor reports', async () => {
      const method = await addCard('cards', '5555555555554444');
      expect(method).toMatchObject({
        brand: 'mastercard',
        last4: '4444',
        expMonth: 12,
        expYear: 2099,
        isDefault: true,
      });
      const second = await addCard('cards', '4242424242424242', false);
      expect(second.isDefault).toBe(false);
      const { paymentMethods } = await call(payments, payments.listPaymentMethods, {}, await as('cards'));
      expect(paymentMethods.map((m) => [m.last4, m.isDefault])).toEqual([
        ['4444', true],
        ['4242', false],
      ]);
    });

    it('refuses a token the processor does not know, and one that is not a token, naming the field', async () => {
      await expectStatus(
        call(
          payments,
          payments.createPaymentMethod,
          { token: 'tok_unknown', makeDefault: false },
          await as('cards'),
        ),
        status.INVALID_ARGUMENT,
        'PAYMENT_TOKEN_UNKNOWN',
      );
      await expectStatus(
        call(
          payments,
          payments.createPaymentMethod,
          { token: 'not a token!', makeDefault: false },
          await as('cards'),
        ),
        status.INVALID_ARGUMENT,
        'PAYMENT_TOKEN_INVALID',
      );
    });

    it("walls one tenant's methods off from another's", async () => {
      const { paymentMethods } = await call(
        payments,
        payments.listPaymentMethods,
        {},
        await as('someone-else'),
      );
      expect(paymentMethods).toEqual([]);
    });
  });

  describe('PaymentsService/CreateTopUp', () => {
    it('credits the wallet once for a charge that succeeds, also after its webhook arrives', async () => {
      await openAccount('payer');
      await addCard('payer', '4242424242424242');
      const done = await topUp('payer', '2500');
      expect(done).toMatchObject({
        status: TopUpStatus.TOP_UP_STATUS_SUCCEEDED,
        amount: { minorUnits: '2500' },
      });
      expect(await balanceOf('payer')).toBe('2500');
      // The charge.succeeded webhook comes after the answer: recorded, and changes nothing.
      await eventually('the webhook to be handled', async () => {
        const seen = await withTenant(billing.app.runtime.db, 'payer', (tx) =>
          tx.execute<{ n: number }>(sql`select count(*)::int as n from payment_webhook_events`),
        );
        if (seen.rows[0]!.n < 1) throw new Error('not yet');
      });
      expect(await creditsOf('payer')).toEqual([{ reference: `top-up:${done.id}`, amount_minor: '2500' }]);
      expect(await balanceOf('payer')).toBe('2500');
    });

    it('answers the same top-up to a retried request, charged once', async () => {
      const requestId = randomUUID();
      const before = (await sim.counters()).chargesCreated ?? 0;
      const first = await topUp('payer', '100', requestId);
      const again = await topUp('payer', '100', requestId);
      expect(again.id).toBe(first.id);
      expect((await sim.counters()).chargesCreated! - before).toBe(1);
      expect(await balanceOf('payer')).toBe('2600');
    });

    it('records a declined charge as failed with the reason, crediting nothing', async () => {
      await openAccount('declined');
      await addCard('declined', '4000000000009995');
      const failed = await topUp('declined', '1000');
      expect(failed).toMatchObject({
        status: TopUpStatus.TOP_UP_STATUS_FAILED,
        failureCode: 'insufficient_funds',
      });
      expect(await balanceOf('declined')).toBe('0');
    });

    it('waits for 3-D Secure, then credits when the webhook says the charge succeeded', async () => {
      await openAccount('secure');
      await addCard('secure', '4000002500003155');
      const waiting = await topUp('secure', '1500');
      expect(waiting.status).toBe(TopUpStatus.TOP_UP_STATUS_REQUIRES_ACTION);
      expect(waiting.nextActionUrl).toMatch(/^http/);
      expect(await balanceOf('secure')).toBe('0');
      await sim.authenticate(waiting.nextActionUrl, 'approve');
      await eventually('the top-up to succeed', async () => {
        const current = await getTopUp('secure', waiting.id);
        if (current.status !== TopUpStatus.TOP_UP_STATUS_SUCCEEDED) throw new Error('not yet');
      });
      expect(await balanceOf('secure')).toBe('1500');
    });

    it('credits once when the webhooks come twice each and in reverse order', async () => {
      await openAccount('reordered');
      await addCard('reordered', '4000002500003155');
      await sim.holdWebhooks();
      const waiting = await topUp('reordered', '700');
      await sim.authenticate(waiting.nextActionUrl, 'approve');
      // charge.succeeded (twice) arrives before charge.requires_action (twice).
      expect(await sim.releaseWebhooks('reverse', 2)).toBeGreaterThanOrEqual(2);
      await eventually('both events to be handled', async () => {
        const seen = await withTenant(billing.app.runtime.db, 'reordered', (tx) =>
          tx.execute<{ n: number }>(sql`select count(*)::int as n from payment_webhook_events`),
        );
        if (seen.rows[0]!.n < 2) throw new Error('not yet');
      });
      expect(await getTopUp('reordered', waiting.id)).toMatchObject({
        status: TopUpStatus.TOP_UP_STATUS_SUCCEEDED,
      });
      expect(await creditsOf('reordered')).toEqual([
        { reference: `top-up:${waiting.id}`, amount_minor: '700' },
      ]);
      expect(await balanceOf('reordered')).toBe('700');
    });

    it('fails a top-up whose cardholder refuses authentication', async () => {
      await openAccount('refuser');
      await addCard('refuser', '4000002500003155');
      const waiting = await topUp('refuser', '900');
      await sim.authenticate(waiting.nextActionUrl, 'deny');
      await eventually('the top-up to fail', async () => {
        const current = await getTopUp('refuser', waiting.id);
        if (current.status !== TopUpStatus.TOP_UP_STATUS_FAILED) throw new Error('not yet');
        expect(current.failureCode).toBe('authentication_failed');
      });
      expect(await balanceOf('refuser')).toBe('0');
    });

    it('answers UNAVAILABLE while the processor throttles, and the retry charges once', async () => {
      await openAccount('throttled');
      await addCard('throttled', '4242424242424242');
      const requestId = randomUUID();
      await sim.throttle(3);
      await expectStatus(
        topUp('throttled', '300', requestId),
        status.UNAVAILABLE,
        'PAYMENT_PROCESSOR_UNAVAILABLE',
      );
      await sim.throttle(0);
      const done = await topUp('throttled', '300', requestId);
      expect(done.status).toBe(TopUpStatus.TOP_UP_STATUS_SUCCEEDED);
      expect(await balanceOf('throttled')).toBe('300');
    });

    it('refuses bad amounts naming the field, and a tenant without a payment method', async () => {
      await openAccount('no-card');
      await expectStatus(
        call(
          payments,
          payments.createTopUp,
          { amount: { currency: 'USD', minorUnits: '0' }, paymentMethodId: '' },
          await as('payer'),
        ),
        status.INVALID_ARGUMENT,
        'AMOUNT_INVALID',
      );
      await expectStatus(
        call(
          payments,
          payments.createTopUp,
          { amount: { currency: 'EUR', minorUnits: '10' }, paymentMethodId: '' },
          await as('payer'),
        ),
        status.INVALID_ARGUMENT,
        'AMOUNT_CURRENCY_MISMATCH',
      );
      await expectStatus(
        call(
          payments,
          payments.createTopUp,
          { amount: { currency: 'USD', minorUnits: '10' }, paymentMethodId: '' },
          await as('no-card'),
        ),
        status.FAILED_PRECONDITION,
        'PAYMENT_METHOD_REQUIRED',
      );
    });

    it("does not show one tenant's top-up to another", async () => {
      const mine = await topUp('payer', '50');
      await expectStatus(getTopUp('someone-else', mine.id), status.NOT_FOUND, 'TOP_UP_NOT_FOUND');
    });
  });

  describe('PaymentsService/CreateRefund', () => {
    it('refunds part, then the rest, debiting the wallet, and refuses more', async () => {
      await openAccount('refunded');
      await addCard('refunded', '4242424242424242');
      const paid = await topUp('refunded', '1000');
      const part = await call(
        payments,
        payments.createRefund,
        { topUpId: paid.id, amount: { currency: 'USD', minorUnits: '300' }, reason: 'too much' },
        await asTenant('refunded'),
      );
      expect(part.refund).toMatchObject({ status: 'succeeded', amount: { minorUnits: '300' } });
      expect(await balanceOf('refunded')).toBe('700');
      const rest = await call(
        payments,
        payments.createRefund,
        { topUpId: paid.id, reason: '' },
        await asTenant('refunded'),
      );
      expect(rest.refund!.amount!.minorUnits).toBe('700');
      expect(await balanceOf('refunded')).toBe('0');
      expect((await getTopUp('refunded', paid.id)).refunded!.minorUnits).toBe('1000');
      // Every move is announced to each replica's authorisation, as rating's are: top-up, then both refunds.
      const announced = (await publishedEvents(billing.app.runtime, 'billing'))
        .filter((event) => event.type === 'billing.balance.changed' && event.tenantId === 'refunded')
        .map((event) => billingV1.BalanceChanged.decode(event.payload))
        .map((change) => [change.reference, change.balanceMinor]);
      expect(announced).toEqual([
        [`top-up:${paid.id}`, '1000'],
        [`refund:${part.refund!.id}`, '700'],
        [`refund:${rest.refund!.id}`, '0'],
      ]);
      await expectStatus(
        call(payments, payments.createRefund, { topUpId: paid.id, reason: '' }, await asTenant('refunded')),
        status.FAILED_PRECONDITION,
        'REFUND_EXCEEDS_TOP_UP',
      );
    });

    it('refuses to refund a failed top-up', async () => {
      const failed = await topUp('declined', '200');
      await expectStatus(
        call(payments, payments.createRefund, { topUpId: failed.id, reason: '' }, await asTenant('declined')),
        status.FAILED_PRECONDITION,
        'TOP_UP_NOT_REFUNDABLE',
      );
    });
  });

  describe('PaymentsService/ListTopUps, ListRefunds, GetRefund', () => {
    const listTopUps = async (tenant: string, filter: Partial<billingPaymentsV1.PageFilter> = {}) =>
      call(
        payments,
        payments.listTopUps,
        { filter: { status: '', pageSize: 0, pageToken: '', ...filter } },
        await as(tenant),
      );

    it('pages through the top-ups newest first, filtered by status and time, and walls tenants', async () => {
      const all = await listTopUps('payer');
      expect(all.topUps.length).toBeGreaterThanOrEqual(3);
      const times = all.topUps.map((topUp) => topUp.createdAt!.getTime());
      expect([...times].sort((a, b) => b - a)).toEqual(times);
      const seen: string[] = [];
      let pageToken = '';
      do {
        const page = await listTopUps('payer', { pageSize: 1, pageToken });
        expect(page.topUps.length).toBeLessThanOrEqual(1);
        seen.push(...page.topUps.map((topUp) => topUp.id));
        pageToken = page.nextPageToken;
      } while (pageToken);
      expect(seen).toEqual(all.topUps.map((topUp) => topUp.id));
      const failed = await listTopUps('declined', { status: 'failed' });
      expect(failed.topUps.length).toBeGreaterThanOrEqual(1);
      expect(failed.topUps.every((topUp) => topUp.status === TopUpStatus.TOP_UP_STATUS_FAILED)).toBe(true);
      expect((await listTopUps('declined', { status: 'succeeded' })).topUps).toEqual([]);
      const oldest = all.topUps[all.topUps.length - 1]!;
      const after = await listTopUps('payer', { createdAfter: new Date(oldest.createdAt!.getTime() + 1) });
      expect(after.topUps.map((topUp) => topUp.id)).not.toContain(oldest.id);
      const before = await listTopUps('payer', { createdBefore: new Date(oldest.createdAt!.getTime() + 1) });
      expect(before.topUps.map((topUp) => topUp.id)).toEqual([oldest.id]);
      expect((await listTopUps('someone-else')).topUps).toEqual([]);
    });

    it('refuses a status, a time range or a page token that is not right, naming it', async () => {
      await expectStatus(listTopUps('payer', { status: 'lost' }), status.INVALID_ARGUMENT, 'STATUS_INVALID');
      await expectStatus(
        listTopUps('payer', { createdAfter: new Date(2000), createdBefore: new Date(1000) }),
        status.INVALID_ARGUMENT,
        'TIME_RANGE_INVALID',
      );
      await expectStatus(
        listTopUps('payer', { pageToken: Buffer.from("x' or 1=1").toString('base64url') }),
        status.INVALID_ARGUMENT,
        'PAGE_TOKEN_INVALID',
      );
    });

    it('lists refunds and reads one, only to its tenant', async () => {
      const { refunds, nextPageToken } = await call(
        payments,
        payments.listRefunds,
        { filter: { status: 'succeeded', pageSize: 0, pageToken: '' } },
        await as('refunded'),
      );
      expect(nextPageToken).toBe('');
      expect(refunds.map((refund) => refund.amount!.minorUnits)).toEqual(['700', '300']);
      const one = await call(payments, payments.getRefund, { id: refunds[0]!.id }, await as('refunded'));
      expect(one.refund).toMatchObject({ id: refunds[0]!.id, status: 'succeeded' });
      await expectStatus(
        call(payments, payments.getRefund, { id: refunds[0]!.id }, await as('someone-else')),
        status.NOT_FOUND,
        'REFUND_NOT_FOUND',
      );
    });
  });

  describe('pending charges settled by the settlement job', () => {
    const repository = () => new PaymentRepository(billing.app.runtime.db, billing.app.wallet);
    const jobFor = (tenantId: string, data: SettleChargeJob) =>
      jobContext(SETTLE_CHARGE_QUEUE, tenantId, data);

    it('credits a top-up charged at the processor whose answer and webhook never came, once', async () => {
      await openAccount('orphan');
      const method = await addCard('orphan', '4242424242424242');
      const [stored] = await repository().listPaymentMethods('orphan');
      expect(stored!.id).toBe(method.id);
      const topUp = await repository().claimTopUp('orphan', randomUUID(), {
        amount: Money.of(1200n, 'USD'),
        paymentMethodId: method.id,
      });
      // The process charged, then died before applying the answer; the webhook is lost too (held, never sent).
      await sim.holdWebhooks();
      const charged = await billing.app.processor!.charge({
        token: stored!.processorToken,
        amount: Money.of(1200n, 'USD'),
        idempotencyKey: topUp.id,
        metadata: { tenantId: 'orphan', topUpId: topUp.id },
      });
      expect(charged.status).toBe('succeeded');
      expect(await getTopUp('orphan', topUp.id)).toMatchObject({ status: TopUpStatus.TOP_UP_STATUS_PENDING });
      await billing.app.settleCharge(jobFor('orphan', { kind: 'top-up', id: topUp.id }));
      await billing.app.settleCharge(jobFor('orphan', { kind: 'top-up', id: topUp.id }));
      expect(await getTopUp('orphan', topUp.id)).toMatchObject({
        status: TopUpStatus.TOP_UP_STATUS_SUCCEEDED,
      });
      // The webhook arrives after all, twice: still one credit.
      await sim.releaseWebhooks('created', 2);
      await eventually('the webhooks to be handled', async () => {
        const seen = await withTenant(billing.app.runtime.db, 'orphan', (tx) =>
          tx.execute<{ n: number }>(sql`select count(*)::int as n from payment_webhook_events`),
        );
        if (seen.rows[0]!.n < 1) throw new Error('not yet');
      });
      expect(await creditsOf('orphan')).toEqual([{ reference: `top-up:${topUp.id}`, amount_minor: '1200' }]);
      expect(await balanceOf('orphan')).toBe('1200');
    });

    it('asks again while the cardholder has not authenticated, then credits what the processor says', async () => {
      await openAccount('orphan-3ds');
      await addCard('orphan-3ds', '4000002500003155');
      await sim.holdWebhooks();
      const waiting = await topUp('orphan-3ds', '800');
      expect(waiting.status).toBe(TopUpStatus.TOP_UP_STATUS_REQUIRES_ACTION);
      const job = jobFor('orphan-3ds', { kind: 'top-up', id: waiting.id });
      await expect(billing.app.settleCharge(job)).rejects.toThrow('requires_action');
      await sim.authenticate(waiting.nextActionUrl, 'approve');
      // Its webhook is still held back: the job finds the charge succeeded and credits the top-up.
      await billing.app.settleCharge(job);
      expect(await getTopUp('orphan-3ds', waiting.id)).toMatchObject({
        status: TopUpStatus.TOP_UP_STATUS_SUCCEEDED,
      });
      await sim.releaseWebhooks('reverse', 2);
      await eventually('the late webhooks to be handled', async () => {
        const seen = await withTenant(billing.app.runtime.db, 'orphan-3ds', (tx) =>
          tx.execute<{ n: number }>(sql`select count(*)::int as n from payment_webhook_events`),
        );
        if (seen.rows[0]!.n < 2) throw new Error('not yet');
      });
      expect(await creditsOf('orphan-3ds')).toEqual([
        { reference: `top-up:${waiting.id}`, amount_minor: '800' },
      ]);
    });

    it('asks again later while the processor has no charge, and fails the top-up after its expiry', async () => {
      const [method] = await repository().listPaymentMethods('orphan');
      const topUp = await repository().claimTopUp('orphan', randomUUID(), {
        amount: Money.of(500n, 'USD'),
        paymentMethodId: method!.id,
      });
      await expect(
        billing.app.settleCharge(jobFor('orphan', { kind: 'top-up', id: topUp.id })),
      ).rejects.toThrow('asked again later');
      const dayLater = makeSettleCharge({
        processor: billing.app.processor,
        payments: repository(),
        invoicePayments: billing.app.invoicePayments,
        now: () => new Date(Date.now() + billing.app.processor!.chargeExpiryMs + 60_000),
      });
      await dayLater(jobFor('orphan', { kind: 'top-up', id: topUp.id }));
      expect(await getTopUp('orphan', topUp.id)).toMatchObject({
        status: TopUpStatus.TOP_UP_STATUS_FAILED,
        failureCode: 'charge_expired',
      });
      expect(await balanceOf('orphan')).toBe('1200');
    });
  });

  describe('PaymentsService/CreateInvoicePayment', () => {
    let invoicing: Invoicing;
    let period = 0;

    /** A postpaid EUR tenant with `number`'s card and one issued invoice (3 segments to Germany + VAT). */
    async function issuedInvoice(tenant: string, number: string) {
      const opened = await withTenant(billing.app.runtime.db, tenant, (tx) =>
        tx.execute(sql`select 1 from billing_accounts`),
      );
      if (opened.rows.length === 0) await invoicing.openAccount(tenant);
      await addCard(tenant, number);
      period += 1;
      const month = `2025-${String(period).padStart(2, '0')}`;
      await invoicing.rate(tenant, `${month}-10T10:00:00Z`, 3);
      const [invoice] = await billing.app.invoices.issuePeriod(tenant, month);
      return invoice!;
    }

    const invoiceOf = async (tenant: string, id: string) =>
      (
        await call(
          invoicing.client,
          invoicing.client.getInvoice,
          { id, linePageSize: 1, afterLine: 0 },
          await as(tenant),
        )
      ).invoice!;

    const pay = async (tenant: string, invoiceId: string, requestId?: string, paymentMethodId = '') =>
      (
        await call(
          payments,
          payments.createInvoicePayment,
          { invoiceId, paymentMethodId },
          await asTenant(tenant, requestId),
        )
      ).payment!;

    const paymentsOf = async (tenant: string, invoiceId: string) =>
      (await call(payments, payments.listInvoicePayments, { invoiceId }, await as(tenant))).payments;

    beforeAll(async () => {
      invoicing = await invoicingHelpers(billing);
    });

    afterAll(() => invoicing?.close());

    it("charges a postpaid tenant's issued invoice to its default card after issue, and it is paid once", async () => {
      const before = (await sim.counters()).chargesCreated ?? 0;
      const invoice = await issuedInvoice('inv-auto', '4242424242424242');
      const total = String(invoice.totalMinor); // 3 segments × EUR 0.075: 0.23
      expect(total).toBe('23');
      await eventually('the charge job to pay the invoice', async () => {
        const current = await invoiceOf('inv-auto', invoice.id);
        if (current.state !== 'paid') throw new Error(current.state);
      });
      const [payment, ...others] = await paymentsOf('inv-auto', invoice.id);
      expect(others).toEqual([]);
      expect(payment).toMatchObject({
        status: 'succeeded',
        trigger: 'automatic',
        amount: { currency: 'EUR', minorUnits: total },
      });
      // The processor's charge.succeeded comes again: the invoice is not paid twice.
      await eventually('the webhook to be handled', async () => {
        const seen = await withTenant(billing.app.runtime.db, 'inv-auto', (tx) =>
          tx.execute<{ n: number }>(sql`select count(*)::int as n from payment_webhook_events`),
        );
        if (seen.rows[0]!.n < 1) throw new Error('not yet');
      });
      expect(await invoiceOf('inv-auto', invoice.id)).toMatchObject({ state: 'paid', paidMinor: total });
      expect(((await sim.counters()).chargesCreated ?? 0) - before).toBe(1);
      // The wallet rating debits is credited once with what was paid.
      expect(await creditsOf('inv-auto')).toEqual([
        { reference: `invoice-payment:${payment!.id}`, amount_minor: total },
      ]);
      await expectStatus(pay('inv-auto', invoice.id), status.FAILED_PRECONDITION, 'INVOICE_ALREADY_PAID');
      await expect(billing.app.invoices.void('inv-auto', invoice.id, 'no')).rejects.toMatchObject({
        reason: 'INVOICE_NOT_VOIDABLE',
      });
    });

    it('records a decline with its reason and leaves the invoice unpaid; paid on demand with another card', async () => {
      const invoice = await issuedInvoice('inv-declined', '4000000000009995');
      const [declined] = await eventually('the charge job to be declined', async () => {
        const found = await paymentsOf('inv-declined', invoice.id);
        if (found.length === 0 || found[0]!.status === 'pending') throw new Error('not yet');
        return found;
      });
      expect(declined).toMatchObject({
        status: 'failed',
        failureCode: 'insufficient_funds',
        trigger: 'automatic',
      });
      expect(await invoiceOf('inv-declined', invoice.id)).toMatchObject({ state: 'issued', paidMinor: '0' });
      const good = await addCard('inv-declined', '5555555555554444', false);
      const before = (await sim.counters()).chargesCreated ?? 0;
      const requestId = randomUUID();
      const paid = await pay('inv-declined', invoice.id, requestId, good.id);
      const again = await pay('inv-declined', invoice.id, requestId, good.id);
      expect(paid).toMatchObject({ status: 'succeeded', trigger: 'on_demand', paymentMethodId: good.id });
      expect(again.id).toBe(paid.id);
      expect(((await sim.counters()).chargesCreated ?? 0) - before).toBe(1);
      expect(await invoiceOf('inv-declined', invoice.id)).toMatchObject({
        state: 'paid',
        paidMinor: String(invoice.totalMinor),
      });
    });

    it('waits for 3-D Secure and pays once on webhooks that come twice and in reverse order', async () => {
      await sim.holdWebhooks();
      const invoice = await issuedInvoice('inv-secure', '4000002500003155');
      // The automatic charge waits for the cardholder (the job is done: its webhook will settle it).
      const [waiting] = await eventually('the automatic charge to wait for the cardholder', async () => {
        const found = await paymentsOf('inv-secure', invoice.id);
        if (found[0]?.status !== 'requires_action') throw new Error('not yet');
        return found;
      });
      await expectStatus(
        pay('inv-secure', invoice.id),
        status.FAILED_PRECONDITION,
        'INVOICE_PAYMENT_IN_PROGRESS',
      );
      await expect(billing.app.invoices.void('inv-secure', invoice.id, 'no')).rejects.toMatchObject({
        reason: 'INVOICE_NOT_VOIDABLE',
      });
      await sim.authenticate(waiting!.nextActionUrl, 'approve');
      expect(await sim.releaseWebhooks('reverse', 2)).toBeGreaterThanOrEqual(2);
      await eventually('the invoice to be paid', async () => {
        const current = await invoiceOf('inv-secure', invoice.id);
        if (current.state !== 'paid') throw new Error(current.state);
      });
      expect(await invoiceOf('inv-secure', invoice.id)).toMatchObject({
        paidMinor: String(invoice.totalMinor),
      });
      expect((await paymentsOf('inv-secure', invoice.id)).map((payment) => payment.status)).toEqual([
        'succeeded',
      ]);
      expect(await creditsOf('inv-secure')).toEqual([
        { reference: `invoice-payment:${waiting!.id}`, amount_minor: String(invoice.totalMinor) },
      ]);
    });

    it('fails the charge job while the processor throttles (pg-boss retries it), then charges once', async () => {
      // Prepaid, so the live worker has no job for this invoice: the test runs the job's handler itself.
      await invoicing.openAccount('inv-throttled');
      await withTenant(billing.app.runtime.db, 'inv-throttled', (tx) =>
        tx.execute(sql`update billing_accounts set billing_mode = 'prepaid'`),
      );
      const invoice = await issuedInvoice('inv-throttled', '4242424242424242');
      await sim.throttle(1000);
      const chargeJob = makeChargeInvoice({
        processor: billing.app.processor,
        payments: new PaymentRepository(billing.app.runtime.db, billing.app.wallet),
        invoicePayments: billing.app.invoicePayments,
        onClaimed: async () => undefined,
      });
      const job = () => jobContext(CHARGE_INVOICE_QUEUE, 'inv-throttled', { invoiceId: invoice.id });
      try {
        await expect(chargeJob(job())).rejects.toMatchObject({ reason: 'PAYMENT_PROCESSOR_UNAVAILABLE' });
        expect(await paymentsOf('inv-throttled', invoice.id)).toMatchObject([{ status: 'pending' }]);
      } finally {
        await sim.throttle(0);
      }
      const before = (await sim.counters()).chargesCreated ?? 0;
      await chargeJob(job());
      await chargeJob(job());
      await eventually('the invoice to be paid', async () => {
        const current = await invoiceOf('inv-throttled', invoice.id);
        if (current.state !== 'paid') throw new Error(current.state);
      });
      expect(await paymentsOf('inv-throttled', invoice.id)).toMatchObject([
        { status: 'succeeded', trigger: 'automatic' },
      ]);
      expect(((await sim.counters()).chargesCreated ?? 0) - before).toBe(1);
    });

    it('pays an invoice whose charge answer and webhook never came through the settlement job, once', async () => {
      await invoicing.openAccount('inv-orphan');
      await withTenant(billing.app.runtime.db, 'inv-orphan', (tx) =>
        tx.execute(sql`update billing_accounts set billing_mode = 'prepaid'`),
      );
      const invoice = await issuedInvoice('inv-orphan', '4242424242424242');
      const [method] = await new PaymentRepository(
        billing.app.runtime.db,
        billing.app.wallet,
      ).listPaymentMethods('inv-orphan');
      const claimed = await billing.app.invoicePayments.claim(
        'inv-orphan',
        {
          invoiceId: invoice.id,
          requestKey: randomUUID(),
          trigger: 'on_demand',
        },
        async () => method!,
        async () => undefined,
      );
      if (claimed.outcome !== 'claimed') throw new Error(claimed.outcome);
      // Charged, then the process died; the webhook is held back.
      await sim.holdWebhooks();
      await billing.app.processor!.charge({
        token: method!.processorToken,
        amount: Money.of(invoice.totalMinor, 'EUR'),
        idempotencyKey: claimed.payment.id,
        metadata: { tenantId: 'inv-orphan', invoicePaymentId: claimed.payment.id },
      });
      const job = jobContext<SettleChargeJob>(SETTLE_CHARGE_QUEUE, 'inv-orphan', {
        kind: 'invoice-payment',
        id: claimed.payment.id,
      });
      await billing.app.settleCharge(job);
      await billing.app.settleCharge(job);
      await sim.releaseWebhooks('created', 2);
      expect(await invoiceOf('inv-orphan', invoice.id)).toMatchObject({
        state: 'paid',
        paidMinor: String(invoice.totalMinor),
      });
      await eventually('the late webhooks to be handled', async () => {
        const seen = await withTenant(billing.app.runtime.db, 'inv-orphan', (tx) =>
          tx.execute<{ n: number }>(sql`select count(*)::int as n from payment_webhook_events`),
        );
        if (seen.rows[0]!.n < 1) throw new Error('not yet');
      });
      expect(await invoiceOf('inv-orphan', invoice.id)).toMatchObject({
        paidMinor: String(invoice.totalMinor),
      });
      expect(await creditsOf('inv-orphan')).toEqual([
        { reference: `invoice-payment:${claimed.payment.id}`, amount_minor: String(invoice.totalMinor) },
      ]);
    });

    it('refuses a void invoice with INVOICE_VOID and an unknown one with INVOICE_NOT_FOUND', async () => {
      await invoicing.openAccount('inv-void');
      period += 1;
      const month = `2025-${String(period).padStart(2, '0')}`;
      await invoicing.rate('inv-void', `${month}-10T10:00:00Z`, 1);
      // No card yet: nothing is charged after issue, and the invoice can be voided.
      const [invoice] = await billing.app.invoices.issuePeriod('inv-void', month);
      await billing.app.invoices.void('inv-void', invoice!.id, 'issued in error');
      await addCard('inv-void', '4242424242424242');
      await expectStatus(pay('inv-void', invoice!.id), status.FAILED_PRECONDITION, 'INVOICE_VOID');
      await expectStatus(pay('inv-void', randomUUID()), status.NOT_FOUND, 'INVOICE_NOT_FOUND');
      await addCard('inv-other', '4242424242424242');
      await expectStatus(pay('inv-other', invoice!.id), status.NOT_FOUND, 'INVOICE_NOT_FOUND');
      await expectStatus(pay('inv-void', 'not-an-id'), status.INVALID_ARGUMENT, 'INVOICE_ID_INVALID');
    });

    it('answers a tenant without a card about the invoice first: unknown, void or paid before PAYMENT_METHOD_REQUIRED', async () => {
      // A card pays the first invoice; then the card goes, and a second invoice is issued and voided.
      const paid = await issuedInvoice('inv-nocard', '4242424242424242');
      await eventually('the invoice to be paid after issue', async () => {
        if ((await invoiceOf('inv-nocard', paid.id)).state !== 'paid') throw new Error('not yet');
      });
      await withTenant(billing.app.runtime.db, 'inv-nocard', (tx) =>
        tx.execute(sql`delete from payment_methods`),
      );
      period += 1;
      const month = `2025-${String(period).padStart(2, '0')}`;
      await invoicing.rate('inv-nocard', `${month}-10T10:00:00Z`, 1);
      const [open] = await billing.app.invoices.issuePeriod('inv-nocard', month);
      await expectStatus(pay('inv-nocard', randomUUID()), status.NOT_FOUND, 'INVOICE_NOT_FOUND');
      await expectStatus(pay('inv-nocard', paid.id), status.FAILED_PRECONDITION, 'INVOICE_ALREADY_PAID');
      // Payable, but nothing to charge it to: now the missing card is the answer, and no payment is left.
      await expectStatus(pay('inv-nocard', open!.id), status.FAILED_PRECONDITION, 'PAYMENT_METHOD_REQUIRED');
      expect(await paymentsOf('inv-nocard', open!.id)).toEqual([]);
      await billing.app.invoices.void('inv-nocard', open!.id, 'issued in error');
      await expectStatus(pay('inv-nocard', open!.id), status.FAILED_PRECONDITION, 'INVOICE_VOID');
    });
  });

  describe('POST /processor/webhooks', () => {
    const post = (body: string, signature?: string) =>
      fetch(webhookUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(signature ? { 'payment-sim-signature': signature } : {}),
        },
        body,
      });

    it('refuses a webhook whose signature does not verify, and changes nothing', async () => {
      const body = JSON.stringify({
        id: 'evt_forged',
        type: 'charge.succeeded',
        created: 0,
        data: {
          object: { id: 'ch_x', status: 'succeeded', metadata: { tenantId: 'payer', topUpId: 'tu_x' } },
        },
      });
      const now = Math.floor(Date.now() / 1000);
      expect((await post(body)).status).toBe(401);
      expect((await post(body, signPaymentWebhook('whsec_not_the_secret_0000', now, body))).status).toBe(401);
      expect((await post(body, signPaymentWebhook(sim.webhookSecret, now - 3600, body))).status).toBe(401);
    });

    it('acknowledges a signed event that names no record of Parley', async () => {
      const body = JSON.stringify({
        id: 'evt_stranger',
        type: 'charge.succeeded',
        created: 0,
        data: { object: { id: 'ch_x', status: 'succeeded', metadata: {} } },
      });
      const answer = await post(
        body,
        signPaymentWebhook(sim.webhookSecret, Math.floor(Date.now() / 1000), body),
      );
      expect(answer.status).toBe(200);
      expect(await answer.json()).toEqual({ outcome: 'ignored' });
    });
  });
});
