// Billing as a privacy participant: the kit's conformance suite, and an erased subject's invoices keeping
// their numbers and totals (JSON and PDF) without their personal data.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'drizzle-orm';
import { call, createClient, Money, withTenant, type SubjectIdentifiers } from '@parley/kit';
import { billingPaymentsV1 } from '@parley/proto';
import { describeParticipantConformance } from '../../../kit/src/privacy/conformance';
import { as, TEST_SUBJECT_HASH_KEY } from '../../../../tests/support/callers';
import { startService, type RunningService } from '../../../../tests/support/service';
import { uniquePrefix } from '../../../../tests/support/infra';
import { startPaymentSim, type PaymentSimHandle } from '../../../../tests/support/paymentSim';
import { buildApp, type BillingApp } from '../../src/app';
import { loadConfig } from '../../src/config';
import { PaymentRepository } from '../../src/db/payments';
import { PaymentSimProcessor } from '../../src/processor/paymentSim';
import { billingParticipant, ERASED, paymentMethodsPart } from '../../src/privacy';
import { closeProfile } from '../../src/db/profiles';
import { retentionPeriods } from '../../src/domain/retention';
import { invoicing, prices, type Invoicing } from '../support/invoicing';
import { pdfText } from '../support/pdfText';

let sequence = 0;

/** Billing with the payment simulator as its processor (cards are detached there on erasure). */
async function startBilling() {
  const sim = await startPaymentSim();
  const billing = await startService('billing', (env) => buildApp(loadConfig(env)), {
    ...sim.billingEnv,
    NATS_PREFIX: uniquePrefix('billing-privacy'),
    BILLING_DEFAULT_CURRENCY: 'EUR',
  });
  const processor = new PaymentSimProcessor({
    url: sim.url.replace(/\/$/, ''),
    secretKey: sim.secretKey,
    webhookSecret: sim.webhookSecret,
    timeoutMs: 5000,
  });
  const participant = billingParticipant([paymentMethodsPart(processor)]);
  return { billing, sim, participant, helpers: await invoicing(billing) };
}

/**
 * A sub-account customer of the tenant: its billing profile, two messages to its phone rated in a month of
 * its own, and that month's invoice issued (the real path: usage, then the invoice run).
 */
async function seedSubject(
  billing: RunningService<BillingApp>,
  sim: PaymentSimHandle,
  helpers: Invoicing,
  tenantId: string,
  label: string,
) {
  sequence += 1;
  const accountId = `acct-${label}-${randomUUID().slice(0, 8)}`;
  const userId = `user-${label}-${randomUUID().slice(0, 8)}`;
  const phone = `+4917${String(10_000_000 + sequence)}`;
  const email = `${label}-${sequence}@example.com`;
  await billing.app.invoices.saveProfile(tenantId, {
    accountId,
    name: `Person ${label}`,
    address: `${sequence} Privacy Lane; Berlin`,
    email,
    country: 'DE',
  });
  // The tenant bills this customer itself (an account plan): the customer's invoice is the tenant's to it.
  await helpers.resell(tenantId, 'customers', prices(), [accountId]);
  // A month of its own (the invoice run closes it): one per subject, from January 2001 on.
  const month = `${2000 + Math.ceil(sequence / 12)}-${String(((sequence - 1) % 12) + 1).padStart(2, '0')}`;
  await helpers.rate(tenantId, `${month}-03T10:00:00Z`, 2, accountId, phone);
  await helpers.rate(tenantId, `${month}-04T10:00:00Z`, 1, accountId, phone);
  // The tenant's own invoice from Parley, and the tenant's invoice to its customer (the subject's).
  const invoice = (await billing.app.invoices.issuePeriod(tenantId, month)).find(
    (issued) => issued.accountId === accountId,
  );
  // A card the person added while signed in, tokenised at the simulator as a browser would.
  const token = await sim.tokenise('4242424242424242');
  const paymentMethod = await new PaymentRepository(
    billing.app.runtime.db,
    billing.app.wallet,
  ).addPaymentMethod(tenantId, {
    processor: 'payment-sim',
    token,
    card: { brand: 'visa', last4: '4242', expMonth: 12, expYear: 2099 },
    makeDefault: false,
    addedBy: userId,
  });
  const subject: SubjectIdentifiers = {
    accountIds: [accountId],
    emails: [email],
    phones: [phone],
    userIds: [userId],
  };
  return { subject, invoice: invoice!, phone, name: `Person ${label}`, paymentMethod, token };
}

describeParticipantConformance(
  'billing (billing profiles, usage records, invoices, payment methods)',
  async () => {
    const { billing, sim, participant, helpers } = await startBilling();
    await helpers.openAccount('conf');
    return {
      participant,
      db: billing.app.runtime.db,
      tenantId: 'conf',
      secret: TEST_SUBJECT_HASH_KEY,
      refusedChanges: { fullName: 'x'.repeat(300) },
      seed: async (label) => (await seedSubject(billing, sim, helpers, 'conf', label)).subject,
      teardown: async () => {
        helpers.close();
        await billing.stop();
        await sim.stop();
      },
    };
  },
);

describe('billing: erasure keeps invoices, without personal data', () => {
  let billing: RunningService<BillingApp>;
  let sim: PaymentSimHandle;
  let participant: ReturnType<typeof billingParticipant>;
  let helpers: Invoicing;

  beforeAll(async () => {
    ({ billing, sim, participant, helpers } = await startBilling());
    await helpers.openAccount('erasing');
  });

  afterAll(async () => {
    helpers?.close();
    await billing?.stop();
    await sim?.stop();
  });

  it('anonymises the buyer and the phone numbers; numbers, dates, amounts and tax stay; the PDF too', async () => {
    const { subject, invoice, phone, name, paymentMethod } = await seedSubject(
      billing,
      sim,
      helpers,
      'erasing',
      'erased',
    );
    // A top-up charged to the card: a financial record, kept without the card.
    const topUp = await new PaymentRepository(billing.app.runtime.db, billing.app.wallet).claimTopUp(
      'erasing',
      `privacy-${randomUUID()}`,
      { amount: Money.of(2500n, 'EUR'), paymentMethodId: paymentMethod.id },
    );
    const detachedBefore = (await sim.counters()).tokensDetached ?? 0;
    const before = await call(
      helpers.client,
      helpers.client.getInvoice,
      { id: invoice.id, linePageSize: 0, afterLine: 0 },
      await as('erasing'),
    );
    const pdfBefore = (await pdfText(await helpers.pdfOf('erasing', invoice.id))).text.join('\n');
    expect(pdfBefore).toContain(name);
    expect(pdfBefore).toContain(phone);

    const receipt = await withTenant(billing.app.runtime.db, 'erasing', (tx) =>
      participant.erase(tx, subject, { tenantId: 'erasing', hashes: [], log: billing.app.runtime.log }),
    );
    expect(Object.fromEntries(receipt.map((line) => [line.category, line]))).toMatchObject({
      billing_profile: { deleted: '1' },
      // Two messages, each rated at the platform's price (the tenant's cost) and at the tenant's (the customer's).
      usage_records: { anonymised: '4', kept: '4', keptBasis: expect.stringContaining('7 years') },
      // The customer's invoice from the tenant, and the tenant's own from Parley (whose lines carried the
      // customer's phone number; its buyer, the tenant, stays).
      invoices: { anonymised: '2', kept: '2', keptBasis: expect.stringContaining('invoice numbers and tax') },
      payment_methods: { deleted: '1', kept: '1', keptBasis: expect.stringContaining('top-ups') },
    });

    // The card is gone here and detached at the processor; the top-up keeps its amount, without the card.
    const [cards, topUps] = await withTenant(billing.app.runtime.db, 'erasing', async (tx) => [
      (await tx.execute(sql`select id from payment_methods where id = ${paymentMethod.id}`)).rows,
      (
        await tx.execute(
          sql`select amount_minor::text as amount, currency, payment_method_id from top_ups where id = ${topUp.id}`,
        )
      ).rows,
    ]);
    expect(cards).toEqual([]);
    expect(topUps).toEqual([{ amount: '2500', currency: 'EUR', payment_method_id: null }]);
    expect((await sim.counters()).tokensDetached).toBe(detachedBefore + 1);

    const after = await call(
      helpers.client,
      helpers.client.getInvoice,
      { id: invoice.id, linePageSize: 0, afterLine: 0 },
      await as('erasing'),
    );
    const kept = (value: typeof before) => ({
      number: value.invoice!.number,
      issuedAt: value.invoice!.issuedAt,
      subtotalMinor: value.invoice!.subtotalMinor,
      taxMinor: value.invoice!.taxMinor,
      totalMinor: value.invoice!.totalMinor,
      lines: value.lines.map((line) => [line.lineNo, line.occurredAt, line.quantity, line.amountMinor]),
    });
    expect(kept(after)).toEqual(kept(before));
    expect(after.invoice!.anonymisedAt).toBeDefined();
    expect(after.invoice!.buyer).toMatchObject({ name: ERASED, address: '', taxId: '', country: 'DE' });
    expect(after.lines.every((line) => line.to === ERASED)).toBe(true);
    const json = JSON.stringify(after);
    for (const identifier of [name, phone, ...subject.accountIds, ...subject.emails]) {
      expect(json).not.toContain(identifier);
    }

    const pdfAfter = (await pdfText(await helpers.pdfOf('erasing', invoice.id))).text.join('\n');
    expect(pdfAfter).not.toContain(name);
    expect(pdfAfter).not.toContain(phone);
    expect(pdfAfter).not.toContain('Privacy Lane');
    expect(pdfAfter).toContain(invoice.number);
    for (const figure of [/Subtotal\s+[\d.]+ EUR/, /Tax 19% \(DE\)\s+[\d.]+ EUR/, /Total\s+[\d.]+ EUR/]) {
      expect(pdfAfter.match(figure)?.[0]).toBe(pdfBefore.match(figure)?.[0]);
      expect(pdfAfter.match(figure)).not.toBeNull();
    }
  });
});

describe('billing: whose payment methods', () => {
  let billing: RunningService<BillingApp>;
  let sim: PaymentSimHandle;
  let participant: ReturnType<typeof billingParticipant>;
  let helpers: Invoicing;
  let payments: billingPaymentsV1.PaymentsServiceClient;

  beforeAll(async () => {
    ({ billing, sim, participant, helpers } = await startBilling());
    payments = createClient(billingPaymentsV1.PaymentsServiceClient, billing.address, {
      serviceName: 'parley.billing.v1.PaymentsService',
    });
  });

  afterAll(async () => {
    payments?.close();
    helpers?.close();
    await billing?.stop();
    await sim?.stop();
  });

  /** Adds a card through CreatePaymentMethod, as `principal` (the gateway's `user:<sub>` or `api-key:<id>`). */
  const addCard = async (tenantId: string, number: string, principal: string) =>
    (
      await call(
        payments,
        payments.createPaymentMethod,
        { token: await sim.tokenise(number), makeDefault: false },
        await as(tenantId, ['*'], principal),
      )
    ).paymentMethod!;

  const exportedCards = async (tenantId: string, subject: SubjectIdentifiers) => {
    const records: Record<string, unknown>[] = [];
    let cursor: string | undefined;
    do {
      const page = await withTenant(billing.app.runtime.db, tenantId, (tx) =>
        participant.export(
          tx,
          subject,
          { tenantId, hashes: [], log: billing.app.runtime.log, limit: 10 },
          cursor,
        ),
      );
      records.push(...page.records.filter((r) => r.category === 'payment_methods').map((r) => r.record));
      cursor = page.next;
    } while (cursor);
    return records;
  };

  const subjectOf = (ids: Partial<SubjectIdentifiers>): SubjectIdentifiers => ({
    accountIds: [],
    emails: [],
    phones: [],
    userIds: [],
    ...ids,
  });

  it("a card is its adder's when a person signed in added it, else the tenant account holder's", async () => {
    const tenantId = `holders-${randomUUID().slice(0, 8)}`;
    await helpers.openAccount(tenantId);
    const holderEmail = `holder-${randomUUID().slice(0, 8)}@example.com`;
    await billing.app.invoices.saveProfile(tenantId, {
      accountId: '',
      name: 'Holder Ltd',
      email: holderEmail,
      country: 'DE',
    });
    const alices = await addCard(tenantId, '4242424242424242', 'user:alice-sub');
    const holders = await addCard(tenantId, '5555555555554444', 'api-key:k1');
    const alice = subjectOf({ userIds: ['alice-sub'] });
    const holder = subjectOf({ emails: [holderEmail] });

    expect(await exportedCards(tenantId, alice)).toEqual([
      expect.objectContaining({ id: alices.id, brand: 'visa', last4: '4242' }),
    ]);
    const holderCards = await exportedCards(tenantId, holder);
    expect(holderCards).toEqual([
      expect.objectContaining({ id: holders.id, brand: 'mastercard', last4: '4444' }),
    ]);
    // The export names the card, never the processor's token (it would charge the card).
    expect(Object.keys(holderCards[0]!)).not.toContain('processorToken');
    expect(Object.keys(holderCards[0]!)).not.toContain('token');

    const detachedBefore = (await sim.counters()).tokensDetached ?? 0;
    const receipt = await withTenant(billing.app.runtime.db, tenantId, (tx) =>
      participant.erase(tx, holder, { tenantId, hashes: [], log: billing.app.runtime.log }),
    );
    const lines = Object.fromEntries(receipt.map((line) => [line.category, line]));
    expect(lines.payment_methods).toMatchObject({ deleted: '1' });
    expect(lines.billing_profile).toMatchObject({ deleted: '1' });
    expect((await sim.counters()).tokensDetached).toBe(detachedBefore + 1);
    // Alice's card is hers, not the holder's: it stays, and stays chargeable.
    const left = await call(payments, payments.listPaymentMethods, {}, await as(tenantId));
    expect(left.paymentMethods.map((method) => method.id)).toEqual([alices.id]);
  });
});

describe("billing: the tenant's own invoices are its account holder's", () => {
  let billing: RunningService<BillingApp>;
  let sim: PaymentSimHandle;
  let participant: ReturnType<typeof billingParticipant>;
  let helpers: Invoicing;

  beforeAll(async () => {
    ({ billing, sim, participant, helpers } = await startBilling());
  });

  afterAll(async () => {
    helpers?.close();
    await billing?.stop();
    await sim?.stop();
  });

  it('exports them to the holder, and erasure keeps their numbers and totals without the personal data, PDF too', async () => {
    const tenantId = `own-${randomUUID().slice(0, 8)}`;
    await helpers.openAccount(tenantId);
    const email = `holder-${randomUUID().slice(0, 8)}@example.com`;
    await billing.app.invoices.saveProfile(tenantId, {
      accountId: '',
      name: 'Hanna Holder',
      address: '7 Ownership Road; Hamburg',
      email,
      country: 'DE',
    });
    await helpers.rate(tenantId, '2003-05-03T10:00:00Z', 3);
    const [invoice] = await billing.app.invoices.issuePeriod(tenantId, '2003-05');
    expect(invoice).toBeDefined();
    const holder: SubjectIdentifiers = { accountIds: [], emails: [email], phones: [], userIds: [] };
    const context = { tenantId, hashes: [], log: billing.app.runtime.log };

    const exported: Record<string, unknown>[] = [];
    let cursor: string | undefined;
    do {
      const page = await withTenant(billing.app.runtime.db, tenantId, (tx) =>
        participant.export(tx, holder, { ...context, limit: 10 }, cursor),
      );
      exported.push(...page.records.filter((r) => r.category === 'invoices').map((r) => r.record));
      cursor = page.next;
    } while (cursor);
    expect(exported).toEqual([
      expect.objectContaining({ id: invoice!.id, number: invoice!.number, accountId: '' }),
    ]);

    const before = await call(
      helpers.client,
      helpers.client.getInvoice,
      { id: invoice!.id, linePageSize: 0, afterLine: 0 },
      await as(tenantId),
    );
    const pdfBefore = (await pdfText(await helpers.pdfOf(tenantId, invoice!.id))).text.join('\n');
    expect(pdfBefore).toContain('Hanna Holder');
    const receipt = await withTenant(billing.app.runtime.db, tenantId, (tx) =>
      participant.erase(tx, holder, context),
    );
    expect(Object.fromEntries(receipt.map((line) => [line.category, line]))).toMatchObject({
      invoices: { anonymised: '1', kept: '1' },
      billing_profile: { deleted: '1' },
    });
    const after = await call(
      helpers.client,
      helpers.client.getInvoice,
      { id: invoice!.id, linePageSize: 0, afterLine: 0 },
      await as(tenantId),
    );
    for (const field of [
      'number',
      'issuedAt',
      'subtotalMinor',
      'taxMinor',
      'totalMinor',
      'accountId',
    ] as const)
      expect(after.invoice![field]).toEqual(before.invoice![field]);
    expect(after.invoice!.buyer).toMatchObject({ name: ERASED, address: '', taxId: '', country: 'DE' });
    const pdfAfter = (await pdfText(await helpers.pdfOf(tenantId, invoice!.id))).text.join('\n');
    expect(pdfAfter).toContain(invoice!.number);
    expect(pdfAfter).not.toContain('Hanna Holder');
    expect(pdfAfter).not.toContain('Ownership Road');
    expect(pdfAfter.match(/Total\s+[\d.]+ EUR/)?.[0]).toBe(pdfBefore.match(/Total\s+[\d.]+ EUR/)?.[0]);
  });
});

describe('billing: retention after the customer leaves, by billing country', () => {
  let billing: RunningService<BillingApp>;
  let sim: PaymentSimHandle;
  let helpers: Invoicing;
  let now = new Date();
  let participant: ReturnType<typeof billingParticipant>;

  beforeAll(async () => {
    ({ billing, sim, helpers } = await startBilling());
    // The same participant billing serves, on a clock the test sets.
    participant = billingParticipant([], { periods: retentionPeriods(), now: () => now });
  });

  afterAll(async () => {
    helpers?.close();
    await billing?.stop();
    await sim?.stop();
  });

  /**
   * A tenant billed in `country`, with a sub-account it resells billed in `accountCountry`, each with an
   * invoice (the tenant's from Parley, the sub-account's from the tenant).
   */
  const customer = async (country: string, accountCountry: string) => {
    const tenantId = `kept-${country.toLowerCase()}-${randomUUID().slice(0, 8)}`;
    const accountId = `acct-${randomUUID().slice(0, 8)}`;
    await helpers.openAccount(tenantId);
    await helpers.resell(tenantId, 'customers', prices(), [accountId]);
    await billing.app.invoices.saveProfile(tenantId, { accountId: '', name: 'Tenant', country });
    await billing.app.invoices.saveProfile(tenantId, { accountId, name: 'Sub', country: accountCountry });
    await helpers.rate(tenantId, '2004-02-03T10:00:00Z', 1);
    await helpers.rate(tenantId, '2004-02-04T10:00:00Z', 2, accountId);
    expect(await billing.app.invoices.issuePeriod(tenantId, '2004-02')).toHaveLength(2);
    return { tenantId, accountId };
  };
  const leave = (tenantId: string, accountId: string, at: string) =>
    withTenant(billing.app.runtime.db, tenantId, (tx) => closeProfile(tx, tenantId, accountId, new Date(at)));
  const purge = async (tenantId: string, category: string) => {
    const [line] = await withTenant(billing.app.runtime.db, tenantId, (tx) =>
      participant.purge(tx, category, now, { tenantId, log: billing.app.runtime.log }),
    );
    return Number(line!.deleted);
  };
  const held = async (tenantId: string) =>
    (
      await withTenant(billing.app.runtime.db, tenantId, (tx) =>
        tx.execute<{ account_id: string; usage: number; invoices: number }>(sql`
          select p.account_id,
            (select count(*)::int from usage_records u where u.account_id = p.account_id) as usage,
            (select count(*)::int from invoices i where i.account_id = p.account_id) as invoices
          from billing_profiles p order by p.account_id`),
      )
    ).rows;

  it('keeps records 6 years in GB and 10 in DE from the end of the year the customer left, then deletes them', async () => {
    const gb = await customer('GB', 'GB');
    const de = await customer('DE', 'GB');
    const open = await customer('FR', 'FR');
    // Both tenants left in February 2027 (GB: kept to 2034-01-01, DE: to 2038-01-01); the German tenant's
    // sub-account, billed in GB, left in 2026 (kept to 2033-01-01). The French tenant is still a customer.
    await leave(gb.tenantId, '', '2027-02-01T00:00:00Z');
    await leave(de.tenantId, '', '2027-02-01T00:00:00Z');
    await leave(de.tenantId, de.accountId, '2026-06-01T00:00:00Z');
    // Set once: a later closing changes nothing.
    expect(await leave(gb.tenantId, '', '2028-02-01T00:00:00Z')).toBe(false);

    // The sub-account, erased after it left: its profile keeps (anonymised) the date and country its
    // records' retention runs from, under the pseudonym its kept records now carry.
    const erased = await withTenant(billing.app.runtime.db, de.tenantId, (tx) =>
      participant.erase(
        tx,
        { accountIds: [de.accountId], emails: [], phones: [], userIds: [] },
        { tenantId: de.tenantId, hashes: [], log: billing.app.runtime.log },
      ),
    );
    expect(erased.find((line) => line.category === 'billing_profile')).toMatchObject({
      deleted: '0',
      anonymised: '1',
      kept: '1',
    });
    const pseudonymous = (await held(de.tenantId)).find((row) => row.account_id.startsWith('erased-'));
    // A resold sub-account's message has two usage lines: Parley's to the tenant and the tenant's to it.
    expect(pseudonymous).toEqual({ account_id: expect.any(String), usage: 2, invoices: 1 });

    now = new Date('2033-12-31T23:00:00Z');
    for (const { tenantId } of [gb, de, open])
      for (const category of ['usage_records', 'invoices', 'billing_profile'])
        expect({ tenantId, category, deleted: await purge(tenantId, category) }).toEqual({
          tenantId,
          category,
          deleted: tenantId !== de.tenantId ? 0 : category === 'usage_records' ? 2 : 1,
        });
    // The sub-account's records went, and then its profile (it dated them); the tenant's stay.
    expect(await held(de.tenantId)).toEqual([{ account_id: '', usage: 1, invoices: 1 }]);

    now = new Date('2034-01-01T00:00:01Z');
    expect(await purge(gb.tenantId, 'usage_records')).toBe(3);
    expect(await purge(gb.tenantId, 'invoices')).toBe(2);
    expect(await purge(gb.tenantId, 'billing_profile')).toBe(2);
    expect(await held(gb.tenantId)).toEqual([]);
    expect(await purge(de.tenantId, 'usage_records')).toBe(0);
    expect(await purge(de.tenantId, 'billing_profile')).toBe(0);

    now = new Date('2038-01-01T00:00:01Z');
    expect(await purge(de.tenantId, 'usage_records')).toBe(1);
    expect(await purge(de.tenantId, 'invoices')).toBe(1);
    expect(await purge(de.tenantId, 'billing_profile')).toBe(1);
    // A customer that never left keeps everything, however late it is.
    now = new Date('2100-01-01T00:00:00Z');
    for (const category of ['usage_records', 'invoices', 'billing_profile'])
      expect(await purge(open.tenantId, category)).toBe(0);
    expect(await held(open.tenantId)).toHaveLength(2);
  });
});
