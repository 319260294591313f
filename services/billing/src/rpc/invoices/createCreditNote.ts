import { invalidArgument, type RpcContext } from '@parley/kit';
import type { billingInvoicesV1 } from '@parley/proto';
import type { InvoiceRepository } from '../../db/invoices';
import { checkTenantId } from './tenant';
import { invoiceId, invoiceMessage } from './messages';

/** CreateCreditNote (platform operators): `<invoice>-CNnn` crediting part or all of its subtotal. */
export function makeCreateCreditNote(deps: { invoices: InvoiceRepository }) {
  return async ({
    request,
  }: RpcContext<billingInvoicesV1.CreateCreditNoteRequest>): Promise<billingInvoicesV1.CreateCreditNoteResponse> => {
    const amount = BigInt(request.subtotalMinor);
    if (amount <= 0n) {
      throw invalidArgument('CREDIT_AMOUNT_INVALID', 'subtotalMinor must be positive', [
        { field: 'subtotalMinor', description: 'positive minor units, at most the invoice subtotal' },
      ]);
    }
    const row = await deps.invoices.creditNote(
      checkTenantId(request.tenantId),
      invoiceId(request.invoiceId, 'invoiceId'),
      amount,
      request.reason.slice(0, 500),
    );
    return { creditNote: invoiceMessage(row) };
  };
}
