import { notFound, withTenant, type Database, type RpcContext } from '@parley/kit';
import type { billingInvoicesV1 } from '@parley/proto';
import type { InvoiceRepository } from '../../db/invoices';
import { invoiceId, invoiceMessage, lineMessage } from './messages';

const DEFAULT_LINES = 1000;
const MAX_LINES = 5000;

/** GetInvoice: one of the caller's tenant's invoices with a page of its lines (after `afterLine`). */
export function makeGetInvoice(deps: { db: Database; invoices: InvoiceRepository }) {
  return async ({
    request,
    caller,
  }: RpcContext<billingInvoicesV1.GetInvoiceRequest>): Promise<billingInvoicesV1.GetInvoiceResponse> => {
    const id = invoiceId(request.id);
    const limit = Math.min(Math.max(request.linePageSize || DEFAULT_LINES, 1), MAX_LINES);
    const afterLine = Math.max(request.afterLine, 0);
    return withTenant(deps.db, caller.tenantId, async (tx) => {
      const invoice = await deps.invoices.find(tx, id);
      if (!invoice) throw notFound('INVOICE_NOT_FOUND', `no invoice has id ${id}`);
      const lines = await deps.invoices.lines(tx, id, afterLine, limit);
      const last = lines[lines.length - 1];
      return {
        invoice: invoiceMessage(invoice),
        lines: lines.map(lineMessage),
        nextAfterLine: last && last.lineNo < invoice.lineCount ? last.lineNo : 0,
      };
    });
  };
}
