import type { RpcContext } from '@parley/kit';
import type { billingInvoicesV1 } from '@parley/proto';
import type { InvoiceRepository } from '../../db/invoices';
import { invoicePeriod, runInvoices } from '../../jobs/invoiceRun';
import { invoiceMessage } from './messages';

/**
 * RunInvoices (platform operators): closes the period for every tenant with it open and issues its
 * invoices now, as the scheduled run would ("current" closes the running month early). Running it again,
 * or alongside the scheduled run, issues nothing twice.
 */
export function makeRunInvoices(deps: { invoices: InvoiceRepository; now: () => Date }) {
  return async ({
    request,
    log,
  }: RpcContext<billingInvoicesV1.RunInvoicesRequest>): Promise<billingInvoicesV1.RunInvoicesResponse> => {
    const now = deps.now();
    const period = invoicePeriod(request.period, now);
    const issued = await runInvoices(deps.invoices, { period, now, graceHours: 0, log });
    return { period, invoices: issued.map(invoiceMessage) };
  };
}
