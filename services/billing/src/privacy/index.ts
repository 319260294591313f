// Billing as a privacy participant (services/kit/PRIVACY.md), one file per part (category):
// billingProfile.ts, usageRecords.ts, invoices.ts, paymentMethods.ts; shared.ts holds what they share.
import { randomBytes } from 'node:crypto';
import { receiptLine, type CategoryReceipt, type PrivacyParticipant } from '@parley/kit';
import { profilePart } from './billingProfile';
import { invoicePart } from './invoices';
import {
  corrections,
  financialRetention,
  shortestRetentionDays,
  type BillingPrivacyPart,
  type RetentionClock,
} from './shared';
import { retentionPeriods, type RetentionPeriods } from '../domain/retention';
import { usagePart } from './usageRecords';

export { ERASED, FINANCIAL_RETENTION_DAYS, type BillingPrivacyPart } from './shared';
export { PAYMENT_METHOD_RETENTION_DAYS, paymentMethodsPart } from './paymentMethods';

/**
 * Billing as a privacy participant: billing profiles (deleted on erasure), usage records and invoices
 * (anonymised and kept under the financial-records obligation). `extraParts` is the hook for further
 * categories: the payments step's payment-method metadata (`paymentMethodsPart`). Financial records go
 * once their customer left and the legal period of its billing country ran out (`retention`: the periods
 * and the clock; by default the built-in table and the time now).
 */
export function billingParticipant(
  extraParts: BillingPrivacyPart[] = [],
  retention: { periods?: RetentionPeriods; now?: () => Date } = {},
): PrivacyParticipant {
  const clock: RetentionClock = {
    periods: retention.periods ?? retentionPeriods(),
    now: retention.now ?? (() => new Date()),
  };
  const parts = [profilePart, usagePart, invoicePart, ...extraParts];
  const financial = new Set<BillingPrivacyPart>([profilePart, usagePart, invoicePart]);
  // One part after another: they share the transaction's connection.
  const lines = async (make: (part: BillingPrivacyPart) => Promise<CategoryReceipt>) => {
    const receipts: CategoryReceipt[] = [];
    for (const part of parts) receipts.push(await make(part));
    return receipts;
  };
  return {
    name: 'billing',
    // The financial categories' default retention follows the configured periods (see shortestRetentionDays).
    categories: parts.map((part) =>
      financial.has(part)
        ? {
            ...part.category,
            defaultRetentionDays: shortestRetentionDays(clock.periods),
            retention:
              part === profilePart
                ? `while the account is a customer; then with its invoices: ${financialRetention(clock.periods)}`
                : financialRetention(clock.periods),
          }
        : part.category,
    ),
    async export(tx, subject, context, cursor) {
      // Cursor: `<part index>:<the part's own cursor>`.
      const split = cursor ? cursor.indexOf(':') : -1;
      let index = split > 0 ? Number(cursor!.slice(0, split)) : 0;
      let inner = split > 0 ? cursor!.slice(split + 1) : '';
      const limit = Math.max(1, context.limit);
      for (; index < parts.length; index += 1, inner = '') {
        const part = parts[index]!;
        const page = await part.export(tx, subject, limit, inner);
        const next =
          page.next !== undefined
            ? `${index}:${page.next}`
            : index + 1 < parts.length
              ? `${index + 1}:`
              : undefined;
        if (page.records.length === 0 && page.next === undefined) continue;
        return {
          records: page.records.map((record) => ({ category: part.category.id, record })),
          ...(next ? { next } : {}),
        };
      }
      return { records: [] };
    },
    async erase(tx, subject, context) {
      if (context.hold) {
        const hold = context.hold;
        return lines(async (part) =>
          receiptLine(part.category.id, {
            kept: String(await part.count(tx, subject)),
            keptBasis: `legal hold: ${hold}`,
          }),
        );
      }
      // One pseudonym per erasure replaces the subject's account id on what is kept, so the records of one
      // sub-account still add up together without naming it.
      const pseudonym = `erased-${randomBytes(6).toString('hex')}`;
      // The profile part last: the payment-methods part finds the tenant's account holder through it.
      const receipts: CategoryReceipt[] = [];
      for (const part of [...parts.filter((part) => part !== profilePart), profilePart])
        receipts.push(await part.erase(tx, subject, pseudonym));
      return receipts;
    },
    async rectify(tx, subject, changes) {
      const corrected = corrections(changes);
      const receipts: CategoryReceipt[] = [];
      for (const part of parts) {
        const n = part.rectify ? await part.rectify(tx, subject, corrected) : 0;
        receipts.push(receiptLine(part.category.id, { corrected: String(n) }));
      }
      return receipts;
    },
    async restrict(tx, subject) {
      return lines(async (part) =>
        receiptLine(part.category.id, { restricted: String(await part.count(tx, subject)) }),
      );
    },
    async purge(tx, category, before) {
      const part = parts.find((candidate) => candidate.category.id === category);
      if (!part) return [receiptLine(category)];
      return [receiptLine(category, { deleted: String(await part.purge(tx, before, clock)) })];
    },
  };
}
