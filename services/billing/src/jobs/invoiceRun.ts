import { invalidArgument, type JobContext, type Logger } from '@parley/kit';
import type { InvoiceRepository } from '../db/invoices';
import type { InvoiceRow } from '../db/invoiceSchema';
import { periodBounds, periodOf, PERIOD_PATTERN, type Period } from '../domain/periods';

export const INVOICE_RUN_QUEUE = 'billing-invoice-run';
/** Hourly: every period that ended more than the grace period ago is closed and invoiced. */
export const INVOICE_RUN_CRON = '20 * * * *';

/** `"YYYY-MM"`, or `"current"`: the running month, closed early (a demo or a test gets its invoice today). */
export function invoicePeriod(requested: string, now: Date): Period {
  if (requested === 'current') return periodOf(now);
  if (!PERIOD_PATTERN.test(requested)) {
    throw invalidArgument('PERIOD_INVALID', 'period must be YYYY-MM or "current"', [
      { field: 'period', description: 'a month such as 2026-11, or "current"' },
    ]);
  }
  if (periodBounds(requested).start.getTime() > now.getTime()) {
    throw invalidArgument('PERIOD_INVALID', 'period has not started', [
      { field: 'period', description: 'a month that has started' },
    ]);
  }
  return requested;
}

/**
 * Issues the invoices of every tenant with `period` open (an operator's run), or, without a period, of
 * every open period that ended at least `graceHours` ago (the scheduled run: late events of the grace
 * period still land on their own month). Each tenant in its own transaction; a run that dies is retried
 * and issues only what is missing, and two runs at once issue each invoice once (see issuePeriod).
 */
export async function runInvoices(
  invoices: InvoiceRepository,
  options: { period?: Period; now: Date; graceHours: number; log: Logger },
): Promise<InvoiceRow[]> {
  const due = options.period
    ? (await invoices.tenantsWithPeriod(options.period)).map((tenantId) => ({
        tenantId,
        period: options.period!,
      }))
    : await invoices.periodsDue(new Date(options.now.getTime() - options.graceHours * 3_600_000));
  const issued: InvoiceRow[] = [];
  for (const { tenantId, period } of due) issued.push(...(await invoices.issuePeriod(tenantId, period)));
  options.log.info({ periods: due.length, issued: issued.length }, 'invoice run done');
  return issued;
}

export function makeInvoiceRun(deps: { invoices: InvoiceRepository; graceHours: number; now: () => Date }) {
  return async (job: JobContext<{ period?: string }>): Promise<void> => {
    const now = deps.now();
    const period = job.data?.period ? invoicePeriod(job.data.period, now) : undefined;
    await runInvoices(deps.invoices, { period, now, graceHours: deps.graceHours, log: job.log });
  };
}
