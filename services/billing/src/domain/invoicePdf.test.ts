import { describe, expect, it } from '@jest/globals';
import type { InvoiceLineRow, InvoiceRow } from '../db/invoiceSchema';
import { PDF_LINE_BATCH, writeInvoicePdf } from './invoicePdf';

const invoice = (lineCount: number) =>
  ({
    id: '00000000-0000-4000-8000-000000000001',
    tenantId: 't',
    accountId: '',
    kind: 'invoice',
    period: '2026-11',
    number: 'INV-202611-0001',
    state: 'issued',
    creditsInvoiceId: null,
    creditNoteCount: 0,
    currency: 'EUR',
    subtotals: { sms_outbound: String(8 * lineCount) },
    subtotalMinor: BigInt(8 * lineCount),
    taxCountry: 'DE',
    taxPercent: { coefficient: 19n, scale: 0 },
    taxMinor: 0n,
    totalMinor: BigInt(8 * lineCount),
    paidMinor: 0n,
    lineCount,
    seller: { name: 'Parley', address: '', country: '', taxId: '' },
    buyer: { name: 'Buyer', address: '', country: 'DE', taxId: '' },
    reason: '',
    issuedAt: new Date('2026-12-01T00:00:00Z'),
    dueAt: new Date('2026-12-15T00:00:00Z'),
    paidAt: null,
    voidedAt: null,
    anonymisedAt: null,
  }) as InvoiceRow;

const line = (lineNo: number): InvoiceLineRow => ({
  invoiceId: '00000000-0000-4000-8000-000000000001',
  lineNo,
  tenantId: 't',
  category: 'sms_outbound',
  usageId: null,
  reference: `m-${lineNo}`,
  occurredAt: new Date('2026-11-02T10:00:00Z'),
  partyFrom: '+4930123456',
  partyTo: '+4915112345678',
  country: 'DE',
  quantity: { coefficient: 1n, scale: 0 },
  unit: 'segment',
  unitPrice: { coefficient: 75n, scale: 3 },
  amountMinor: 8n,
});

describe('the invoice PDF', () => {
  it('reads its lines a batch at a time and hands each batch’s bytes on before reading the next', async () => {
    const lines = 3 * PDF_LINE_BATCH + 7;
    const reads: { after: number; limit: number; emittedBefore: number }[] = [];
    let emitted = 0;
    await writeInvoicePdf(
      invoice(lines),
      async (after, limit) => {
        reads.push({ after, limit, emittedBefore: emitted });
        return Array.from({ length: Math.max(0, Math.min(limit, lines - after)) }, (_, index) =>
          line(after + index + 1),
        );
      },
      async (chunk) => {
        emitted += chunk.length;
      },
    );
    // Keyset paging by line number, never more than a batch at once.
    expect(reads.map((read) => [read.after, read.limit])).toEqual(
      [0, 1, 2, 3].map((batch) => [batch * PDF_LINE_BATCH, PDF_LINE_BATCH]),
    );
    // Every read after the first finds more bytes already handed on than the one before it.
    for (let index = 1; index < reads.length; index += 1) {
      expect(reads[index]!.emittedBefore).toBeGreaterThan(reads[index - 1]!.emittedBefore);
    }
    expect(emitted).toBeGreaterThan(reads[reads.length - 1]!.emittedBefore);
  });
});
