import { and, asc, eq, inArray, lt, sql } from 'drizzle-orm';
import { keysetExport, receiptLine, type SubjectIdentifiers } from '@parley/kit';
import { paymentMethods, topUps } from '../db/paymentsSchema';
import type { PaymentProcessor } from '../domain/paymentProcessor';
import {
  any,
  countOf,
  counted,
  FINANCIAL_OBLIGATION,
  tenantLeftBefore,
  type BillingPrivacyPart,
} from './shared';

/** How long a departed tenant's cards stay (refunds and chargebacks arrive weeks after the last charge). */
export const PAYMENT_METHOD_RETENTION_DAYS = 180;

/**
 * Whose cards: the person who added one (`added_by`, an identity-provider user id), else the tenant's
 * account holder, found as the profile part finds them: by the email of the tenant's own billing profile
 * (account ''). Erasure runs this part before the profile part deletes that profile.
 */
const paymentMethodsOf = (subject: SubjectIdentifiers) =>
  any([
    ...(subject.userIds.length ? [inArray(paymentMethods.addedBy, subject.userIds)] : []),
    ...(subject.emails.length
      ? [
          and(
            eq(paymentMethods.addedBy, ''),
            sql`exists (select 1 from billing_profiles p where p.tenant_id = ${paymentMethods.tenantId}
              and p.account_id = '' and p.email in ${subject.emails})`,
          )!,
        ]
      : []),
  ]);

/**
 * Payment-method metadata (the processor's token, brand, last four, expiry). Not a financial record: on
 * erasure each card is detached at the processor that made it (so it can never be charged again), then
 * deleted; the top-ups charged to it are financial records and stay, without the card
 * (`top_ups.payment_method_id` becomes null). The export leaves the token out: it is the processor's
 * bearer credential for charging the card, not information about the subject.
 */
export function paymentMethodsPart(processor: PaymentProcessor | undefined): BillingPrivacyPart {
  // A card of a processor this deployment no longer talks to cannot be detached: the row goes anyway.
  const detach = async (rows: { processor: string; processorToken: string }[]) => {
    for (const row of rows)
      if (processor && row.processor === processor.name) await processor.detach(row.processorToken);
  };
  return {
    category: {
      id: 'payment_methods',
      description:
        "Cards as the payment processor's token with brand, last four digits and expiry (never a card number), and who added them",
      subjects: ['account holders'],
      purpose: 'Charge top-ups and invoices to the card the customer chose',
      legalBasis: 'contract',
      retention: `while the account is a customer; ${PAYMENT_METHOD_RETENTION_DAYS} days after it leaves (refunds and chargebacks)`,
      legalObligation: '',
      defaultRetentionDays: PAYMENT_METHOD_RETENTION_DAYS,
      consentPurposes: [],
    },
    export: (tx, subject, limit, cursor) =>
      keysetExport(tx, {
        from: paymentMethods,
        key: paymentMethods.id,
        where: paymentMethodsOf(subject),
        after: cursor,
        limit,
        keyOf: (row) => row.id,
        record: (row) => ({
          id: row.id,
          processor: row.processor,
          brand: row.brand,
          last4: row.last4,
          expMonth: row.expMonth,
          expYear: row.expYear,
          isDefault: row.isDefault,
          createdAt: row.createdAt.toISOString(),
        }),
      }),
    count: (tx, subject) =>
      countOf(tx.select({ n: counted }).from(paymentMethods).where(paymentMethodsOf(subject))),
    async erase(tx, subject) {
      const rows = await tx
        .select()
        .from(paymentMethods)
        .where(paymentMethodsOf(subject))
        .orderBy(asc(paymentMethods.id))
        .for('update');
      if (rows.length === 0) return receiptLine('payment_methods');
      const ids = rows.map((row) => row.id);
      const charged = await countOf(
        tx.select({ n: counted }).from(topUps).where(inArray(topUps.paymentMethodId, ids)),
      );
      // Detached first: a processor that cannot be reached throws (transient), and the task comes again.
      await detach(rows);
      await tx.delete(paymentMethods).where(inArray(paymentMethods.id, ids));
      return receiptLine('payment_methods', {
        deleted: String(rows.length),
        ...(charged > 0
          ? {
              kept: String(charged),
              keptBasis: `top-ups charged to the deleted cards are kept without them: ${FINANCIAL_OBLIGATION}`,
            }
          : {}),
      });
    },
    async purge(tx, before) {
      const rows = await tx
        .select()
        .from(paymentMethods)
        .where(and(lt(paymentMethods.createdAt, before), tenantLeftBefore(before)))
        .for('update');
      if (rows.length === 0) return 0;
      await detach(rows);
      await tx.delete(paymentMethods).where(
        inArray(
          paymentMethods.id,
          rows.map((row) => row.id),
        ),
      );
      return rows.length;
    },
  };
}
