import { and, asc, eq, inArray } from 'drizzle-orm';
import { Money, withTenant, type Database, type Transaction } from '@parley/kit';
import type { ChargeResult } from '../domain/paymentProcessor';
import type { Wallet } from '../domain/wallet';
import type { InvoiceRepository } from './invoices';
import { invoices } from './invoiceSchema';
import { chargeChange, newId } from './payments';
import { invoicePayments, type InvoicePaymentRow } from './paymentsSchema';

/** An invoice payment's wallet reference: one credit per payment, ever. */
export const invoicePaymentReference = (paymentId: string) => `invoice-payment:${paymentId}`;

/** The request key of the charge billing makes itself after an invoice is issued: one per invoice. */
export const automaticPaymentKey = (invoiceId: string) => `auto:${invoiceId}`;

export type ClaimedInvoicePayment<Method> =
  | { outcome: 'claimed'; payment: InvoicePaymentRow; method: Method }
  | { outcome: 'existing'; payment: InvoicePaymentRow }
  | { outcome: 'in_progress'; payment: InvoicePaymentRow; detail: string }
  | { outcome: 'not_found' | 'void' | 'paid'; detail: string };

/**
 * Payments of invoices: each one a charge of what is left to pay of an issued invoice. At most one per
 * invoice is pending, waiting for the cardholder or succeeded (a unique index), and the step of a payment
 * into `succeeded` records the payment on the invoice and credits the wallet (which rating debited) in the
 * same transaction, once.
 */
export class InvoicePaymentRepository {
  constructor(
    private readonly db: Database,
    private readonly invoices: InvoiceRepository,
    private readonly wallet: Wallet,
  ) {}

  /**
   * The payment of this request: started `pending` for what is left to pay, under the invoice's row lock
   * (so a void, another payment or a settling charge waits), or found again on a retry (same request key).
   * The method to charge is asked of `methodFor` only once the invoice is known to be payable, so an unknown,
   * void or paid invoice is refused as such whatever the tenant's payment methods (`methodFor` may throw,
   * e.g. no payment method). `onClaimed` runs in the same transaction (the settlement job is sent there).
   * Refusals change nothing.
   */
  claim<Method extends { id: string }>(
    tenantId: string,
    input: {
      invoiceId: string;
      requestKey: string;
      trigger: InvoicePaymentRow['trigger'];
    },
    methodFor: (tx: Transaction) => Promise<Method>,
    onClaimed: (tx: Transaction, payment: InvoicePaymentRow) => Promise<void>,
  ): Promise<ClaimedInvoicePayment<Method>> {
    return withTenant(this.db, tenantId, async (tx) => {
      const [existing] = await tx
        .select()
        .from(invoicePayments)
        .where(and(eq(invoicePayments.tenantId, tenantId), eq(invoicePayments.requestKey, input.requestKey)));
      if (existing) return { outcome: 'existing', payment: existing };
      const [invoice] = await tx
        .select()
        .from(invoices)
        .where(and(eq(invoices.tenantId, tenantId), eq(invoices.id, input.invoiceId)))
        .for('update');
      if (!invoice || invoice.kind !== 'invoice')
        return { outcome: 'not_found', detail: `no invoice has id ${input.invoiceId}` };
      if (invoice.state === 'void') return { outcome: 'void', detail: `invoice ${invoice.number} is void` };
      const due = invoice.totalMinor - invoice.paidMinor;
      if (invoice.state === 'paid' || due <= 0n)
        return { outcome: 'paid', detail: `invoice ${invoice.number} is paid already` };
      const [live] = await tx
        .select()
        .from(invoicePayments)
        .where(
          and(
            eq(invoicePayments.tenantId, tenantId),
            eq(invoicePayments.invoiceId, invoice.id),
            inArray(invoicePayments.status, ['pending', 'requires_action']),
          ),
        );
      if (live)
        return {
          outcome: 'in_progress',
          payment: live,
          detail: `payment ${live.id} of invoice ${invoice.number} is ${live.status}; wait for it (GET /v1/invoices/${invoice.id}/payments)`,
        };
      const method = await methodFor(tx);
      const [payment] = await tx
        .insert(invoicePayments)
        .values({
          id: newId('ip'),
          tenantId,
          invoiceId: invoice.id,
          requestKey: input.requestKey,
          trigger: input.trigger,
          paymentMethodId: method.id,
          amountMinor: due,
          currency: invoice.currency,
          status: 'pending',
        })
        .returning();
      await onClaimed(tx, payment!);
      return { outcome: 'claimed', payment: payment!, method };
    });
  }

  /**
   * Applies what is known of the payment's charge inside `tx` (the processor's answer, a webhook, the
   * settlement job), forward only; the step into `succeeded` records the payment on the invoice, so the
   * invoice is paid exactly once however often and in whatever order the news comes.
   */
  async settle(
    tx: Transaction,
    tenantId: string,
    paymentId: string,
    charge: ChargeResult,
  ): Promise<InvoicePaymentRow | undefined> {
    const [current] = await tx
      .select()
      .from(invoicePayments)
      .where(and(eq(invoicePayments.tenantId, tenantId), eq(invoicePayments.id, paymentId)))
      .for('update');
    if (!current) return undefined;
    const change = chargeChange(current, charge);
    if (!change) return current;
    const [updated] = await tx
      .update(invoicePayments)
      .set(change)
      .where(eq(invoicePayments.id, paymentId))
      .returning();
    if (change.status === 'succeeded') {
      await this.invoices.recordPayment(tx, tenantId, current.invoiceId, current.amountMinor);
      // The usage the invoice bills was debited from the wallet as it was rated: the payment puts it back.
      await this.wallet.credit(
        tx,
        tenantId,
        Money.of(current.amountMinor, current.currency),
        invoicePaymentReference(paymentId),
      );
    }
    return updated!;
  }

  /** `settle` in a transaction of its own. */
  async settleNow(tenantId: string, paymentId: string, charge: ChargeResult): Promise<InvoicePaymentRow> {
    const settled = await withTenant(this.db, tenantId, (tx) => this.settle(tx, tenantId, paymentId, charge));
    if (!settled) throw new Error(`invoice payment ${paymentId} vanished`);
    return settled;
  }

  async find(tenantId: string, id: string): Promise<InvoicePaymentRow | undefined> {
    const [row] = await withTenant(this.db, tenantId, (tx) =>
      tx
        .select()
        .from(invoicePayments)
        .where(and(eq(invoicePayments.tenantId, tenantId), eq(invoicePayments.id, id))),
    );
    return row;
  }

  /** Every payment of an invoice, oldest first; undefined when the tenant has no such invoice. */
  async ofInvoice(tenantId: string, invoiceId: string): Promise<InvoicePaymentRow[] | undefined> {
    return withTenant(this.db, tenantId, async (tx) => {
      const [invoice] = await tx
        .select({ id: invoices.id })
        .from(invoices)
        .where(and(eq(invoices.tenantId, tenantId), eq(invoices.id, invoiceId)));
      if (!invoice) return undefined;
      return tx
        .select()
        .from(invoicePayments)
        .where(and(eq(invoicePayments.tenantId, tenantId), eq(invoicePayments.invoiceId, invoiceId)))
        .orderBy(asc(invoicePayments.createdAt), asc(invoicePayments.id));
    });
  }
}
