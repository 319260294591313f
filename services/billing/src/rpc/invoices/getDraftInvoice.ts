import { failedPrecondition, withTenant, type Database, type RpcContext } from '@parley/kit';
import type { billingInvoicesV1 } from '@parley/proto';
import type { InvoiceRepository } from '../../db/invoices';
import { invoicePeriod } from '../../jobs/invoiceRun';
import { invoiceMessage } from './messages';

/** GetDraftInvoice: an open period's invoice as it stands (the caller's tenant, or one of its accounts). */
export function makeGetDraftInvoice(deps: { db: Database; invoices: InvoiceRepository; now: () => Date }) {
  return async ({
    request,
    caller,
  }: RpcContext<billingInvoicesV1.GetDraftInvoiceRequest>): Promise<billingInvoicesV1.GetDraftInvoiceResponse> => {
    const period = invoicePeriod(request.period || 'current', deps.now());
    return withTenant(deps.db, caller.tenantId, async (tx) => {
      if (!(await deps.invoices.isOpen(tx, caller.tenantId, period))) {
        throw failedPrecondition(
          'PERIOD_CLOSED',
          `period ${period} is closed: its invoices are issued (GET /v1/invoices)`,
        );
      }
      const draft = await deps.invoices.draft(tx, caller.tenantId, request.accountId.slice(0, 100), period);
      return { invoice: invoiceMessage(draft) };
    });
  };
}
