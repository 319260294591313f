import { formatDecimal, invalidArgument, normalizeDecimal } from '@parley/kit';
import type { billingInvoicesV1 } from '@parley/proto';
import type { InvoiceLineRow, InvoiceRow } from '../../db/invoiceSchema';

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Checks an invoice id (a UUID) before it reaches SQL, naming the field. */
export function invoiceId(id: string, field = 'id'): string {
  if (!uuidPattern.test(id)) {
    throw invalidArgument('INVOICE_ID_INVALID', `${field} is not an invoice id`, [
      { field, description: 'an invoice id (UUID)' },
    ]);
  }
  return id.toLowerCase();
}

export function invoiceMessage(row: InvoiceRow): billingInvoicesV1.Invoice {
  return {
    id: row.id,
    tenantId: row.tenantId,
    accountId: row.accountId,
    kind: row.kind,
    period: row.period,
    number: row.number,
    state: row.state,
    creditsInvoiceId: row.creditsInvoiceId ?? '',
    currency: row.currency,
    subtotalsMinor: row.subtotals,
    subtotalMinor: String(row.subtotalMinor),
    taxPercent: formatDecimal(normalizeDecimal(row.taxPercent)),
    taxCountry: row.taxCountry ?? '',
    taxMinor: String(row.taxMinor),
    totalMinor: String(row.totalMinor),
    paidMinor: String(row.paidMinor),
    lineCount: row.lineCount,
    seller: row.seller,
    buyer: row.buyer,
    reason: row.reason,
    issuedAt: row.issuedAt,
    dueAt: row.dueAt,
    paidAt: row.paidAt ?? undefined,
    voidedAt: row.voidedAt ?? undefined,
    anonymisedAt: row.anonymisedAt ?? undefined,
  };
}

export function lineMessage(row: InvoiceLineRow): billingInvoicesV1.InvoiceLine {
  return {
    lineNo: row.lineNo,
    category: row.category,
    reference: row.reference,
    occurredAt: row.occurredAt,
    from: row.partyFrom ?? '',
    to: row.partyTo ?? '',
    country: row.country,
    quantity: formatDecimal(normalizeDecimal(row.quantity)),
    unit: row.unit,
    unitPrice: formatDecimal(normalizeDecimal(row.unitPrice)),
    amountMinor: String(row.amountMinor),
  };
}
