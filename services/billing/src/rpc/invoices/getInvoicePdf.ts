import { notFound, withTenant, type Database, type RpcContext } from '@parley/kit';
import type { billingInvoicesV1 } from '@parley/proto';
import type { InvoiceRepository } from '../../db/invoices';
import { writeInvoicePdf } from '../../domain/invoicePdf';
import { invoiceId } from './messages';

/**
 * GetInvoicePdf: the invoice as a PDF, streamed. Its lines are read a batch at a time, each batch in a
 * short transaction of its own (a keyset on the line number), and the bytes are sent as they are made,
 * waiting for the reader: a 100,000-line invoice is never whole in memory, nor a transaction held open.
 */
export function makeGetInvoicePdf(deps: { db: Database; invoices: InvoiceRepository }) {
  return async (
    { request, caller }: RpcContext<billingInvoicesV1.GetInvoicePdfRequest>,
    send: (item: billingInvoicesV1.GetInvoicePdfResponse) => Promise<void>,
  ): Promise<void> => {
    const id = invoiceId(request.id);
    const invoice = await withTenant(deps.db, caller.tenantId, (tx) => deps.invoices.find(tx, id));
    if (!invoice) throw notFound('INVOICE_NOT_FOUND', `no invoice has id ${id}`);
    await writeInvoicePdf(
      invoice,
      (after, limit) =>
        withTenant(deps.db, caller.tenantId, (tx) => deps.invoices.lines(tx, id, after, limit)),
      (chunk) => send({ chunk }),
    );
  };
}
