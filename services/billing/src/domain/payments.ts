import { failedPrecondition, invalidArgument, Money, type MoneyJson } from '@parley/kit';
import type { CardDescription, PaymentProcessor } from './paymentProcessor';

/** The most one top-up may be, in minor units (what processors take in one charge). */
export const MAX_TOP_UP_MINOR = 99_999_999n;

const tokenPattern = /^[A-Za-z0-9_-]{1,200}$/;

/** A processor token as a request carries it, or INVALID_ARGUMENT naming `token`. */
export function checkToken(token: string): string {
  if (!tokenPattern.test(token))
    throw invalidArgument('PAYMENT_TOKEN_INVALID', 'token must be the processor token made in the browser', [
      { field: 'token', description: '1 to 200 letters, digits, `_` and `-` (e.g. tok_...)' },
    ]);
  return token;
}

/** Whether the card's last valid day is behind `now` (a card is valid to the end of its expiry month). */
export function isExpired(card: Pick<CardDescription, 'expMonth' | 'expYear'>, now: Date): boolean {
  return Date.UTC(card.expYear, card.expMonth, 1) <= now.getTime();
}

/** The processor, or FAILED_PRECONDITION when this installation takes no payments. */
export function requireProcessor(processor: PaymentProcessor | undefined): PaymentProcessor {
  if (!processor)
    throw failedPrecondition(
      'PAYMENTS_NOT_CONFIGURED',
      'this installation takes no payments (no payment processor is configured)',
    );
  return processor;
}

/**
 * A positive amount in the account's currency, at most MAX_TOP_UP_MINOR, from the request's `field`;
 * INVALID_ARGUMENT naming the field otherwise.
 */
export function positiveAmount(value: MoneyJson | undefined, currency: string, field: string): Money {
  if (!value)
    throw invalidArgument('AMOUNT_REQUIRED', `${field} is required`, [{ field, description: 'required' }]);
  if (value.currency !== currency)
    throw invalidArgument(
      'AMOUNT_CURRENCY_MISMATCH',
      `${field} must be in the billing account's currency, ${currency}`,
      [{ field: `${field}.currency`, description: `must be ${currency}` }],
    );
  if (!/^\d{1,19}$/.test(value.minorUnits))
    throw invalidArgument('AMOUNT_INVALID', `${field} must be a positive whole number of minor units`, [
      { field: `${field}.minorUnits`, description: 'a positive integer string' },
    ]);
  const amount = Money.of(BigInt(value.minorUnits), value.currency, field);
  if (amount.minorUnits <= 0n || amount.minorUnits > MAX_TOP_UP_MINOR)
    throw invalidArgument('AMOUNT_INVALID', `${field} must be from 1 to ${MAX_TOP_UP_MINOR} minor units`, [
      { field: `${field}.minorUnits`, description: `from 1 to ${MAX_TOP_UP_MINOR}` },
    ]);
  return amount;
}
