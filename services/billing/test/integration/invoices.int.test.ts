import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { status } from '@grpc/grpc-js';
import { sql } from 'drizzle-orm';
import { call, Money, withTenant } from '@parley/kit';
import type { billingInvoicesV1, billingV1 } from '@parley/proto';
import { as, asPlatform } from '../../../../tests/support/callers';
import { startService, type RunningService } from '../../../../tests/support/service';
import { uniquePrefix } from '../../../../tests/support/infra';
import { eventually, expectStatus } from '../../../../tests/support/grpc';
import { expectEveryTenantTableWalled } from '../../../../tests/support/rls';
import { buildApp, type BillingApp } from '../../src/app';
import { loadConfig } from '../../src/config';
import { pdfText } from '../support/pdfText';
import { INVOICE_RUN_QUEUE, runInvoices } from '../../src/jobs/invoiceRun';
import { invoicing, prices, type Invoicing } from '../support/invoicing';

/** A tenant's own prices to the accounts it resells: EUR 0.10 a segment to Germany, 20% tax for GB buyers. */
const resalePrices = () => {
  const platform = prices();
  return {
    ...platform,
    smsOutboundPerSegment: { defaultPrice: '0.05', byCountry: { DE: '0.10' } },
    taxPercent: { defaultPrice: '0', byCountry: { DE: '19', GB: '20' } },
  };
};

describe('invoices', () => {
  let billing: RunningService<BillingApp>;
  let client: billingInvoicesV1.InvoicesServiceClient;
  let helpers: Invoicing;
  const rate = (...args: Parameters<Invoicing['rate']>) => helpers.rate(...args);
  const pdfOf = (tenantId: string, id: string) => helpers.pdfOf(tenantId, id);

  const linesOf = async (tenantId: string, id: string) => {
    const all: billingInvoicesV1.InvoiceLine[] = [];
    let afterLine = 0;
    for (;;) {
      const page = await call(
        client,
        client.getInvoice,
        { id, linePageSize: 40, afterLine },
        await as(tenantId),
      );
      all.push(...page.lines);
      if (!page.nextAfterLine) return { invoice: page.invoice!, lines: all };
      afterLine = page.nextAfterLine;
    }
  };

  beforeAll(async () => {
    billing = await startService('billing', (env) => buildApp(loadConfig(env)), {
      NATS_PREFIX: uniquePrefix('invoices'),
      BILLING_DEFAULT_CURRENCY: 'EUR',
      INVOICE_SELLER_NAME: 'Parley Platform GmbH',
      INVOICE_SELLER_ADDRESS: 'Hauptstrasse 1; 10115 Berlin',
    });
    helpers = await invoicing(billing);
    client = helpers.client;
    for (const tenant of ['acme', 'racer', 'other']) await helpers.openAccount(tenant);
  });

  afterAll(async () => {
    helpers?.close();
    await billing?.stop();
  });

  it('walls every invoice table off by tenant', async () => {
    expect(await expectEveryTenantTableWalled(billing.app.runtime.db)).toEqual(
      expect.arrayContaining(['billing_profiles', 'invoice_counters', 'invoice_lines', 'invoices']),
    );
  });

  it('issues a numbered invoice per account with every rated line, and lines + tax = total to the cent', async () => {
    await call(
      client,
      client.setBillingProfile,
      {
        accountId: '',
        name: 'Ada Lovelace',
        address: '12 Analytical Row; London',
        email: 'ada@example.com',
        country: 'DE',
        taxId: 'DE123',
        invoicePrefix: 'ACME',
      },
      await as('acme'),
    );
    // acme resells its account shop-1 at its own prices (0.10 a segment to Germany, GB buyers taxed 20%).
    await call(
      client,
      client.setBillingProfile,
      {
        accountId: 'shop-1',
        name: 'Shop One Ltd',
        address: '1 High St; Leeds',
        email: '',
        country: 'GB',
        taxId: 'GB99',
        invoicePrefix: '',
      },
      await as('acme'),
    );
    await helpers.resell('acme', 'retail', resalePrices(), ['shop-1']);
    let expected = Money.zero('EUR');
    // 0.075 × 1, 2 and 3 segments: 0.08 (0.075 rounds up), 0.15, 0.23 (0.225 rounds up) ...
    for (let index = 0; index < 45; index += 1) {
      expected = expected.add(
        await rate('acme', `2026-10-${String((index % 28) + 1).padStart(2, '0')}T10:00:00Z`, (index % 3) + 1),
      );
    }
    // What acme owes Parley for shop-1's usage is on acme's own invoice, at acme's platform plan.
    expected = expected.add(await rate('acme', '2026-10-05T10:00:00Z', 2, 'shop-1'));

    await expectStatus(
      call(client, client.runInvoices, { period: '2026-10' }, await as('acme')),
      status.PERMISSION_DENIED,
    );
    await expectStatus(
      call(client, client.runInvoices, { period: '2026-13' }, await asPlatform()),
      status.INVALID_ARGUMENT,
      'PERIOD_INVALID',
    );
    const run = await call(client, client.runInvoices, { period: '2026-10' }, await asPlatform());
    const mine = run.invoices.filter((invoice) => invoice.tenantId === 'acme');
    expect(mine.map((invoice) => [invoice.accountId, invoice.number])).toEqual([
      ['', 'ACME-202610-0001'],
      ['shop-1', 'ACME-202610-0002'],
    ]);
    // The tenant is the seller on its sub-account's invoice, at its own price, taxed for the buyer's country.
    expect(mine[1]).toMatchObject({
      seller: { name: 'Ada Lovelace', country: 'DE', taxId: 'DE123' },
      buyer: { name: 'Shop One Ltd', country: 'GB', taxId: 'GB99' },
      // 2 segments × EUR 0.10 = 0.20; 20% GB tax = 0.04.
      subtotalMinor: '20',
      taxCountry: 'GB',
      taxPercent: '20',
      taxMinor: '4',
      totalMinor: '24',
      lineCount: 1,
    });
    const resold = await linesOf('acme', mine[1]!.id);
    expect(resold.lines).toMatchObject([
      { category: 'sms_outbound', quantity: '2', unitPrice: '0.1', amountMinor: '20' },
    ]);
    const resoldPdf = (await pdfText(await pdfOf('acme', mine[1]!.id))).text.join('\n');
    expect(resoldPdf).toContain('Invoice ACME-202610-0002');
    expect(resoldPdf).toContain('Ada Lovelace');
    expect(resoldPdf).toContain('Shop One Ltd');
    expect(resoldPdf).toContain('0.24 EUR');
    expect(resoldPdf).not.toContain('Parley Platform GmbH');
    // A second run issues nothing more.
    expect(
      (await call(client, client.runInvoices, { period: '2026-10' }, await asPlatform())).invoices,
    ).toEqual([]);

    const { invoice, lines } = await linesOf('acme', mine[0]!.id);
    expect(lines).toHaveLength(46);
    expect(lines.map((line) => line.lineNo)).toEqual(Array.from({ length: 46 }, (_, index) => index + 1));
    // Every line on acme's own invoice is at the platform's price, shop-1's included.
    expect(new Set(lines.map((line) => line.unitPrice))).toEqual(new Set(['0.075']));
    const sum = lines.reduce((total, line) => total + BigInt(line.amountMinor), 0n);
    expect(String(sum)).toBe(String(expected.minorUnits));
    expect(invoice).toMatchObject({
      subtotalMinor: String(sum),
      taxPercent: '19',
      taxCountry: 'DE',
      state: 'issued',
      buyer: { name: 'Ada Lovelace', country: 'DE', taxId: 'DE123' },
      seller: { name: 'Parley Platform GmbH' },
    });
    // The tax is 19% of the subtotal, rounded once, half away from zero.
    expect(BigInt(invoice.taxMinor)).toBe((sum * 19n + 50n) / 100n);
    expect(BigInt(invoice.totalMinor)).toBe(sum + BigInt(invoice.taxMinor));
    expect(lines[0]).toMatchObject({
      category: 'sms_outbound',
      from: '+4930123456',
      unit: 'segment',
      unitPrice: '0.075',
    });

    // The PDF opens and shows the number, the lines and the total, with page numbers.
    const pdf = await pdfOf('acme', invoice.id);
    // PDF/A-1b: declared in the XMP metadata, with an output intent and only embedded fonts.
    expect(pdf.toString('latin1')).toMatch(/<pdfaid:part>1<\/pdfaid:part>/);
    expect(pdf.toString('latin1')).toMatch(/<pdfaid:conformance>B<\/pdfaid:conformance>/);
    expect(pdf.toString('latin1')).toContain('/OutputIntents');
    expect(pdf.toString('latin1')).not.toMatch(/\/BaseFont \/Helvetica/);
    const read = await pdfText(pdf);
    const text = read.text.join('\n');
    expect(read.pages).toBe(2);
    expect(text).toContain('Invoice ACME-202610-0001');
    expect(text).toContain('Ada Lovelace');
    expect(text).toContain(lines[45]!.to);
    expect(text).toContain(`${Money.of(BigInt(invoice.totalMinor), 'EUR').toDecimalString()} EUR`);
    expect(read.text[1]).toContain('page 2 of 2');

    // Another tenant sees neither the invoice nor its PDF.
    await expectStatus(
      call(client, client.getInvoice, { id: invoice.id, linePageSize: 0, afterLine: 0 }, await as('other')),
      status.NOT_FOUND,
    );
    await expect(pdfOf('other', invoice.id)).rejects.toMatchObject({ code: status.NOT_FOUND });
    expect(
      (await call(client, client.listInvoices, { pageSize: 0, pageToken: '' }, await as('other'))).invoices,
    ).toEqual([]);
    expect(
      (await call(client, client.listInvoices, { pageSize: 0, pageToken: '' }, await as('acme'))).invoices,
    ).toHaveLength(2);
  });

  it('numbers without gaps or duplicates when invoice runs race', async () => {
    await helpers.resell('racer', 'racer-retail', resalePrices(), ['a', 'b', 'c', 'd']);
    for (const account of ['', 'a', 'b', 'c', 'd']) await rate('racer', '2026-09-10T08:00:00Z', 2, account);
    const runs = await Promise.all([
      billing.app.invoices.issuePeriod('racer', '2026-09'),
      billing.app.invoices.issuePeriod('racer', '2026-09'),
      (async () => call(client, client.runInvoices, { period: '2026-09' }, await asPlatform()))().then(
        (answer) => answer.invoices.filter((invoice) => invoice.tenantId === 'racer'),
      ),
      billing.app.invoices.issuePeriod('racer', '2026-09'),
    ]);
    const numbers = runs
      .flat()
      .map((invoice) => invoice.number)
      .sort();
    expect(numbers).toEqual(['0001', '0002', '0003', '0004', '0005'].map((n) => `INV-202609-${n}`));
    const stored = await withTenant(
      billing.app.runtime.db,
      'racer',
      async (tx) =>
        (
          await tx.execute<{ number: string }>(
            sql`select number from invoices where period = '2026-09' order by number`,
          )
        ).rows,
    );
    expect(stored.map((row) => row.number)).toEqual(numbers);
  });

  it('puts an event that arrives after its month was invoiced on the next invoice, closing the running month on demand', async () => {
    await rate('racer', '2026-08-31T23:00:00Z', 1);
    await call(client, client.runInvoices, { period: '2026-08' }, await asPlatform());
    // Late: the message of 31 August arrives after August's invoice was issued.
    await rate('racer', '2026-08-31T23:30:00Z', 3);
    const august = await withTenant(
      billing.app.runtime.db,
      'racer',
      async (tx) =>
        (
          await tx.execute<{ line_count: number }>(
            sql`select line_count from invoices where period = '2026-08' and kind = 'invoice'`,
          )
        ).rows,
    );
    expect(august).toEqual([{ line_count: 1 }]);
    // It went to the next open period (September is closed too): October, the next invoice issued.
    const october = await call(client, client.runInvoices, { period: '2026-10' }, await asPlatform());
    const next = october.invoices.find((invoice) => invoice.tenantId === 'racer');
    expect(next).toMatchObject({ period: '2026-10', number: 'INV-202610-0001' });
    const { lines } = await linesOf('racer', next!.id);
    expect(lines.map((line) => [line.occurredAt?.toISOString(), line.quantity])).toEqual([
      ['2026-08-31T23:30:00.000Z', '3'],
    ]);

    // "current" closes the running month early: what is rated after it goes to the month after.
    const now = new Date();
    await rate('racer', now.toISOString(), 1);
    const current = await call(client, client.runInvoices, { period: 'current' }, await asPlatform());
    const running = current.invoices.find((invoice) => invoice.tenantId === 'racer');
    expect(running).toMatchObject({ period: now.toISOString().slice(0, 7), lineCount: 1 });
    await rate('racer', now.toISOString(), 1);
    const after = await withTenant(
      billing.app.runtime.db,
      'racer',
      async (tx) =>
        (
          await tx.execute<{ billing_period: string }>(
            sql`select billing_period from usage_records order by rated_at desc limit 1`,
          )
        ).rows,
    );
    expect(after[0]?.billing_period).not.toBe(now.toISOString().slice(0, 7));
  });

  it('issues on schedule only once the grace after the month has passed, and through the job queue', async () => {
    await helpers.openAccount('scheduled');
    await rate('scheduled', '2026-06-30T23:59:00Z', 1);
    const log = billing.app.runtime.log;
    const ofTenant = (rows: { tenantId: string }[]) => rows.filter((row) => row.tenantId === 'scheduled');
    // 1 July + 72 hours is 4 July: on 3 July the month still takes late events.
    expect(
      ofTenant(
        await runInvoices(billing.app.invoices, {
          now: new Date('2026-07-03T23:00:00Z'),
          graceHours: 72,
          log,
        }),
      ),
    ).toEqual([]);
    await rate('scheduled', '2026-06-30T23:59:30Z', 2);
    const issued = ofTenant(
      await runInvoices(billing.app.invoices, { now: new Date('2026-07-04T00:20:00Z'), graceHours: 72, log }),
    );
    expect(issued).toMatchObject([{ period: '2026-06', number: 'INV-202606-0001', lineCount: 2 }]);

    // An operator's run sent through the queue, as the scheduler sends its own.
    await rate('scheduled', '2026-05-10T10:00:00Z', 1);
    await billing.app.runtime.jobs.send(INVOICE_RUN_QUEUE, { period: '2026-05' });
    await eventually('the job to issue May', async () => {
      const rows = await withTenant(billing.app.runtime.db, 'scheduled', (tx) =>
        tx.execute<{ number: string }>(sql`select number from invoices where period = '2026-05'`),
      );
      if (rows.rows.length === 0) throw new Error('not yet');
      expect(rows.rows).toEqual([{ number: 'INV-202605-0001' }]);
    });
  });

  it('shows an open month as a draft without a number, and refuses a draft of a closed one', async () => {
    await helpers.openAccount('drafty');
    const now = new Date().toISOString();
    const amounts = [await rate('drafty', now, 1), await rate('drafty', now, 3)];
    const draft = await call(
      client,
      client.getDraftInvoice,
      { period: '', accountId: '' },
      await as('drafty'),
    );
    const subtotal = amounts.reduce((sum, amount) => sum + amount.minorUnits, 0n);
    expect(draft.invoice).toMatchObject({
      id: '',
      number: '',
      state: 'draft',
      period: now.slice(0, 7),
      lineCount: 2,
      subtotalMinor: String(subtotal),
      totalMinor: String(subtotal + BigInt(draft.invoice!.taxMinor)),
    });
    await billing.app.invoices.issuePeriod('drafty', now.slice(0, 7));
    await expectStatus(
      call(client, client.getDraftInvoice, { period: 'current', accountId: '' }, await as('drafty')),
      status.FAILED_PRECONDITION,
      'PERIOD_CLOSED',
    );
  });

  it('voids only an unpaid invoice, and corrects with a credit note referencing the invoice', async () => {
    const { invoices } = await call(
      client,
      client.listInvoices,
      { pageSize: 0, pageToken: '' },
      await as('acme'),
    );
    const main = invoices.find((invoice) => invoice.number === 'ACME-202610-0001')!;
    const shop = invoices.find((invoice) => invoice.number === 'ACME-202610-0002')!;
    const note = await call(
      client,
      client.createCreditNote,
      { tenantId: 'acme', invoiceId: main.id, subtotalMinor: '100', reason: 'goodwill' },
      await asPlatform(),
    );
    expect(note.creditNote).toMatchObject({
      kind: 'credit_note',
      number: 'ACME-202610-0001-CN01',
      creditsInvoiceId: main.id,
      subtotalMinor: '-100',
      taxMinor: '-19',
      totalMinor: '-119',
    });
    await withTenant(billing.app.runtime.db, 'acme', (tx) =>
      billing.app.invoices.recordPayment(tx, 'acme', main.id, 1n),
    );
    await expectStatus(
      call(client, client.voidInvoice, { tenantId: 'acme', id: main.id, reason: 'x' }, await asPlatform()),
      status.FAILED_PRECONDITION,
      'INVOICE_NOT_VOIDABLE',
    );
    const voided = await call(
      client,
      client.voidInvoice,
      { tenantId: 'acme', id: shop.id, reason: 'test' },
      await asPlatform(),
    );
    expect(voided.invoice).toMatchObject({ state: 'void', number: 'ACME-202610-0002' });
    // The main invoice itself was never edited by the credit note.
    const again = await call(
      client,
      client.getInvoice,
      { id: main.id, linePageSize: 0, afterLine: 0 },
      await as('acme'),
    );
    expect(again.invoice).toMatchObject({ totalMinor: main.totalMinor, number: main.number });
  });

  describe('account plans (a tenant reselling its accounts)', () => {
    const plans = () => helpers.billingClient;

    it('are the tenant’s own: checked like platform plans, managed with billing scopes, invisible and unassignable to another tenant', async () => {
      await helpers.openAccount('seller-a');
      await helpers.openAccount('seller-b');
      const create = async (
        tenantId: string,
        request: Partial<billingV1.CreateAccountPlanRequest>,
        scopes?: string[],
      ) =>
        call(
          plans(),
          plans().createAccountPlan,
          { id: 'gold', name: 'Gold', currency: 'EUR', prices: resalePrices(), ...request },
          await as(tenantId, scopes),
        );
      await expectStatus(create('seller-a', {}, ['billing:read']), status.PERMISSION_DENIED);
      await expectStatus(
        create('seller-a', { prices: { ...resalePrices(), inboundMessage: '0.1234567891' } }),
        status.INVALID_ARGUMENT,
        'PLAN_PRICES_INVALID',
      );
      await expectStatus(
        create('seller-a', { currency: 'USD' }),
        status.FAILED_PRECONDITION,
        'PLAN_CURRENCY_MISMATCH',
      );
      await expectStatus(
        create('seller-a', { effectiveFrom: new Date(Date.now() - 86_400_000) }),
        status.INVALID_ARGUMENT,
        'EFFECTIVE_FROM_IN_PAST',
      );
      const created = await create('seller-a', {});
      expect(created.plan).toMatchObject({
        id: 'gold',
        currency: 'EUR',
        isDefault: false,
        versions: [{ version: 1 }],
      });
      await expectStatus(create('seller-a', {}), status.ALREADY_EXISTS, 'PLAN_EXISTS');
      // Another tenant may use the same id for its own plan; it never sees seller-a's.
      await create('seller-b', { name: 'B gold', prices: prices() });
      const listed = await call(
        plans(),
        plans().listAccountPlans,
        {},
        await as('seller-b', ['billing:read']),
      );
      expect(listed.plans.map((plan) => [plan.id, plan.name])).toEqual([['gold', 'B gold']]);
      await call(
        plans(),
        plans().createAccountPlan,
        { id: 'silver', name: 'Silver', currency: 'EUR', prices: resalePrices() },
        await as('seller-a'),
      );
      await expectStatus(
        call(plans(), plans().getAccountPlan, { planId: 'silver' }, await as('seller-b')),
        status.NOT_FOUND,
        'PLAN_NOT_FOUND',
      );
      await expectStatus(
        call(
          plans(),
          plans().setAccountPlan,
          { accountId: 'cust-1', planId: 'silver' },
          await as('seller-b'),
        ),
        status.NOT_FOUND,
        'PLAN_NOT_FOUND',
      );
      await expectStatus(
        call(plans(), plans().setAccountPlan, { accountId: '', planId: 'gold' }, await as('seller-b')),
        status.INVALID_ARGUMENT,
        'ACCOUNT_ID_INVALID',
      );
      expect(
        await call(
          plans(),
          plans().setAccountPlan,
          { accountId: 'cust-1', planId: 'gold' },
          await as('seller-b'),
        ),
      ).toMatchObject({ accountId: 'cust-1', planId: 'gold' });
      // The platform's plans are not the tenant's to assign, nor are the tenant's plans on the platform's list.
      await expectStatus(
        call(
          plans(),
          plans().setAccountPlan,
          { accountId: 'cust-1', planId: 'standard' },
          await as('seller-b'),
        ),
        status.NOT_FOUND,
        'PLAN_NOT_FOUND',
      );
      const platformList = await call(plans(), plans().listPlans, {}, await asPlatform());
      expect(platformList.plans.map((plan) => plan.id)).not.toContain('gold');
      // Row-level security, not only the queries: as seller-b, SQL sees only seller-b's rows.
      const rows = await withTenant(
        billing.app.runtime.db,
        'seller-b',
        async (tx) =>
          (await tx.execute<{ tenant_id: string }>(sql`select tenant_id from account_plans`)).rows,
      );
      expect(rows).toEqual([{ tenant_id: 'seller-b' }]);
    });

    it('rates a resold account at the tenant’s price and the tenant at the platform’s; an unsold account is the tenant’s own usage', async () => {
      await helpers.openAccount('reseller');
      await helpers.resell('reseller', 'retail', resalePrices(), ['cust-1']);
      const platformAmounts = [
        await rate('reseller', '2026-07-02T10:00:00Z', 1),
        await rate('reseller', '2026-07-03T10:00:00Z', 3, 'cust-1'),
        await rate('reseller', '2026-07-04T10:00:00Z', 2, 'cust-2'),
      ];
      const lines = await withTenant(
        billing.app.runtime.db,
        'reseller',
        async (tx) =>
          (
            await tx.execute<{
              account_id: string;
              seller: string;
              unit_price: string;
              amount_minor: string;
              plan_id: string;
            }>(sql`
            select account_id, seller, unit_price::text, amount_minor::text, plan_id from usage_records
             order by occurred_at, seller`)
          ).rows,
      );
      expect(lines).toEqual([
        {
          account_id: '',
          seller: 'platform',
          unit_price: '0.075000000',
          amount_minor: '8',
          plan_id: 'eu-invoices',
        },
        {
          account_id: 'cust-1',
          seller: 'platform',
          unit_price: '0.075000000',
          amount_minor: '23',
          plan_id: 'eu-invoices',
        },
        {
          account_id: 'cust-1',
          seller: 'tenant',
          unit_price: '0.100000000',
          amount_minor: '30',
          plan_id: 'retail',
        },
        {
          account_id: 'cust-2',
          seller: 'platform',
          unit_price: '0.075000000',
          amount_minor: '15',
          plan_id: 'eu-invoices',
        },
      ]);
      const draft = await call(
        client,
        client.getDraftInvoice,
        { period: '2026-07', accountId: 'cust-1' },
        await as('reseller'),
      );
      expect(draft.invoice).toMatchObject({ subtotalMinor: '30', lineCount: 1, state: 'draft' });

      const run = await call(client, client.runInvoices, { period: '2026-07' }, await asPlatform());
      const issued = run.invoices.filter((invoice) => invoice.tenantId === 'reseller');
      // The tenant's own invoice from Parley holds all three at Parley's price; cust-1 gets the tenant's
      // invoice at the tenant's price; cust-2 (not resold) gets none.
      expect(issued.map((invoice) => [invoice.accountId, invoice.number, invoice.subtotalMinor])).toEqual([
        ['', 'INV-202607-0001', String(platformAmounts.reduce((sum, amount) => sum + amount.minorUnits, 0n))],
        ['cust-1', 'INV-202607-0002', '30'],
      ]);
      expect(issued[0]!.seller).toMatchObject({ name: 'Parley Platform GmbH' });
      expect(issued[1]!.seller).toMatchObject({ name: 'reseller' });

      // Late: a July message of cust-1 rated after July was invoiced goes onto August's invoices, both of them.
      await rate('reseller', '2026-07-31T23:00:00Z', 1, 'cust-1');
      const august = (
        await call(client, client.runInvoices, { period: '2026-08' }, await asPlatform())
      ).invoices.filter((invoice) => invoice.tenantId === 'reseller');
      expect(august.map((invoice) => [invoice.accountId, invoice.number, invoice.subtotalMinor])).toEqual([
        ['', 'INV-202608-0001', '8'],
        ['cust-1', 'INV-202608-0002', '10'],
      ]);
      const july = await linesOf('reseller', issued[1]!.id);
      expect(july.invoice.lineCount).toBe(1);
    });

    it('applies a new price version from its effective date and never rewrites usage already rated', async () => {
      await helpers.openAccount('repricer');
      await helpers.resell('repricer', 'retail', resalePrices(), ['cust-1']);
      const now = Date.now();
      await rate('repricer', new Date(now).toISOString(), 1, 'cust-1');
      const effectiveFrom = new Date(now + 3_600_000);
      const added = await call(
        plans(),
        plans().addAccountPlanVersion,
        {
          planId: 'retail',
          prices: {
            ...resalePrices(),
            smsOutboundPerSegment: { defaultPrice: '0.05', byCountry: { DE: '0.20' } },
          },
          effectiveFrom,
        },
        await as('repricer'),
      );
      expect(added.plan?.versions.map((version) => version.version)).toEqual([1, 2]);
      await expectStatus(
        call(
          plans(),
          plans().addAccountPlanVersion,
          { planId: 'retail', prices: resalePrices(), effectiveFrom: new Date(now + 1_000) },
          await as('repricer'),
        ),
        status.INVALID_ARGUMENT,
        'EFFECTIVE_FROM_IN_PAST',
      );
      await expectStatus(
        call(
          plans(),
          plans().addAccountPlanVersion,
          { planId: 'retail', prices: resalePrices() },
          await as('seller-a'),
        ),
        status.NOT_FOUND,
        'PLAN_NOT_FOUND',
      );
      // Before the new version: still version 1; after it: version 2. The first line is untouched.
      await rate('repricer', new Date(now + 60_000).toISOString(), 1, 'cust-1');
      await rate('repricer', new Date(now + 2 * 3_600_000).toISOString(), 1, 'cust-1');
      const resold = await withTenant(
        billing.app.runtime.db,
        'repricer',
        async (tx) =>
          (
            await tx.execute<{ plan_version: number; unit_price: string; amount_minor: string }>(sql`
            select plan_version, unit_price::text, amount_minor::text from usage_records
             where seller = 'tenant' order by occurred_at`)
          ).rows,
      );
      expect(resold).toEqual([
        { plan_version: 1, unit_price: '0.100000000', amount_minor: '10' },
        { plan_version: 1, unit_price: '0.100000000', amount_minor: '10' },
        { plan_version: 2, unit_price: '0.200000000', amount_minor: '20' },
      ]);
    });
  });
});
