// Billing as a privacy participant: the kit's conformance suite, and an erased subject's invoices keeping
// their numbers and totals (JSON and PDF) without their personal data.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { call, withTenant, type SubjectIdentifiers } from '@parley/kit';
import { describeParticipantConformance } from '../../../kit/src/privacy/conformance';
import { as, TEST_SUBJECT_HASH_KEY } from '../../../../tests/support/callers';
import { startService, type RunningService } from '../../../../tests/support/service';
import { uniquePrefix } from '../../../../tests/support/infra';
import { buildApp, type BillingApp } from '../../src/app';
import { loadConfig } from '../../src/config';
import { billingParticipant, ERASED } from '../../src/privacy';
import { invoicing, type Invoicing } from '../support/invoicing';
import { pdfText } from '../support/pdfText';

let sequence = 0;

async function startBilling() {
  const billing = await startService('billing', (env) => buildApp(loadConfig(env)), {
    NATS_PREFIX: uniquePrefix('billing-privacy'),
    BILLING_DEFAULT_CURRENCY: 'EUR',
  });
  return { billing, helpers: await invoicing(billing) };
}

/**
 * A sub-account customer of the tenant: its billing profile, two messages to its phone rated in a month of
 * its own, and that month's invoice issued (the real path: usage, then the invoice run).
 */
async function seedSubject(
  billing: RunningService<BillingApp>,
  helpers: Invoicing,
  tenantId: string,
  label: string,
) {
  sequence += 1;
  const accountId = `acct-${label}-${randomUUID().slice(0, 8)}`;
  const phone = `+4917${String(10_000_000 + sequence)}`;
  const email = `${label}-${sequence}@example.com`;
  await billing.app.invoices.saveProfile(tenantId, {
    accountId,
    name: `Person ${label}`,
    address: `${sequence} Privacy Lane; Berlin`,
    email,
    country: 'DE',
  });
  // A month of its own (the invoice run closes it): one per subject, from January 2001 on.
  const month = `${2000 + Math.ceil(sequence / 12)}-${String(((sequence - 1) % 12) + 1).padStart(2, '0')}`;
  await helpers.rate(tenantId, `${month}-03T10:00:00Z`, 2, accountId, phone);
  await helpers.rate(tenantId, `${month}-04T10:00:00Z`, 1, accountId, phone);
  const [invoice] = await billing.app.invoices.issuePeriod(tenantId, month);
  const subject: SubjectIdentifiers = {
    accountIds: [accountId],
    emails: [email],
    phones: [phone],
    userIds: [],
  };
  return { subject, invoice: invoice!, phone, name: `Person ${label}` };
}

describeParticipantConformance('billing (billing profiles, usage records, invoices)', async () => {
  const { billing, helpers } = await startBilling();
  await helpers.openAccount('conf');
  return {
    participant: billingParticipant(),
    db: billing.app.runtime.db,
    tenantId: 'conf',
    secret: TEST_SUBJECT_HASH_KEY,
    refusedChanges: { fullName: 'x'.repeat(300) },
    seed: async (label) => (await seedSubject(billing, helpers, 'conf', label)).subject,
    teardown: async () => {
      helpers.close();
      await billing.stop();
    },
  };
});

describe('billing: erasure keeps invoices, without personal data', () => {
  let billing: RunningService<BillingApp>;
  let helpers: Invoicing;

  beforeAll(async () => {
    ({ billing, helpers } = await startBilling());
    await helpers.openAccount('erasing');
  });

  afterAll(async () => {
    helpers?.close();
    await billing?.stop();
  });

  it('anonymises the buyer and the phone numbers; numbers, dates, amounts and tax stay; the PDF too', async () => {
    const { subject, invoice, phone, name } = await seedSubject(billing, helpers, 'erasing', 'erased');
    const before = await call(
      helpers.client,
      helpers.client.getInvoice,
      { id: invoice.id, linePageSize: 0, afterLine: 0 },
      await as('erasing'),
    );
    const pdfBefore = (await pdfText(await helpers.pdfOf('erasing', invoice.id))).text.join('\n');
    expect(pdfBefore).toContain(name);
    expect(pdfBefore).toContain(phone);

    const participant = billingParticipant();
    const receipt = await withTenant(billing.app.runtime.db, 'erasing', (tx) =>
      participant.erase(tx, subject, { tenantId: 'erasing', hashes: [], log: billing.app.runtime.log }),
    );
    expect(Object.fromEntries(receipt.map((line) => [line.category, line]))).toMatchObject({
      billing_profile: { deleted: '1' },
      usage_records: { anonymised: '2', kept: '2', keptBasis: expect.stringContaining('7 years') },
      invoices: { anonymised: '1', kept: '1', keptBasis: expect.stringContaining('invoice numbers and tax') },
    });

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
