import type { RpcContext } from '@parley/kit';
import type { billingInvoicesV1 } from '@parley/proto';
import type { InvoiceRepository } from '../../db/invoices';
import { checkTenantId } from './tenant';
import { invoiceId, invoiceMessage } from './messages';

/** VoidInvoice (platform operators): only an issued invoice with nothing paid; its number stays used. */
export function makeVoidInvoice(deps: { invoices: InvoiceRepository }) {
  return async ({
    request,
  }: RpcContext<billingInvoicesV1.VoidInvoiceRequest>): Promise<billingInvoicesV1.VoidInvoiceResponse> => {
    const row = await deps.invoices.void(
      checkTenantId(request.tenantId),
      invoiceId(request.id),
      request.reason.slice(0, 500),
    );
    return { invoice: invoiceMessage(row) };
  };
}
