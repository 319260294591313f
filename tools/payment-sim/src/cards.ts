// The cards the simulator knows: brand by number range, and the "magic" numbers that behave in a given way,
// as processors' test environments document them (Stripe's test cards are the model).
import { passesLuhn } from '@parley/kit/src/cardNumbers';

export type CardBrand = 'visa' | 'mastercard' | 'amex' | 'discover' | 'unknown';

/** How a charge on the card goes. */
export type CardBehaviour =
  | { kind: 'succeeds' }
  | { kind: 'declined'; declineCode: DeclineCode }
  /** 3-D Secure: the charge waits for the cardholder, then succeeds (or fails if they refuse). */
  | { kind: 'requires_action' }
  /** 3-D Secure that the cardholder passes, after which the issuer declines anyway. */
  | { kind: 'requires_action_then_declined'; declineCode: DeclineCode };

export type DeclineCode =
  | 'generic_decline'
  | 'insufficient_funds'
  | 'expired_card'
  | 'incorrect_cvc'
  | 'processing_error'
  | 'authentication_failed'
  | 'authentication_expired';

export const DECLINE_MESSAGES: Record<DeclineCode, string> = {
  generic_decline: 'Your card was declined.',
  insufficient_funds: 'Your card has insufficient funds.',
  expired_card: 'Your card has expired.',
  incorrect_cvc: "Your card's security code is incorrect.",
  processing_error: 'An error occurred while processing your card. Try again in a little bit.',
  authentication_failed: 'The cardholder did not complete authentication.',
  authentication_expired: 'The cardholder did not authenticate in time; the charge expired.',
};

/** Every magic number and what it does (tools/payment-sim/README.md, "Test cards"); any other valid card succeeds. */
export const MAGIC_CARDS: Record<string, CardBehaviour> = {
  '4000000000000002': { kind: 'declined', declineCode: 'generic_decline' },
  '4000000000009995': { kind: 'declined', declineCode: 'insufficient_funds' },
  '4000000000000069': { kind: 'declined', declineCode: 'expired_card' },
  '4000000000000127': { kind: 'declined', declineCode: 'incorrect_cvc' },
  '4000000000000119': { kind: 'declined', declineCode: 'processing_error' },
  '4000002500003155': { kind: 'requires_action' },
  '4000008400001629': { kind: 'requires_action_then_declined', declineCode: 'generic_decline' },
};

export function behaviourOf(number: string): CardBehaviour {
  return MAGIC_CARDS[number] ?? { kind: 'succeeds' };
}

export function brandOf(number: string): CardBrand {
  if (/^4/.test(number)) return 'visa';
  if (/^(5[1-5]|2[2-7])/.test(number)) return 'mastercard';
  if (/^3[47]/.test(number)) return 'amex';
  if (/^6(011|5)/.test(number)) return 'discover';
  return 'unknown';
}

/** A card number as typed (spaces and dashes allowed) reduced to its digits, or undefined if it is not one. */
export function cardDigits(typed: string): string | undefined {
  const digits = typed.replace(/[ -]/g, '');
  return /^\d{12,19}$/.test(digits) && passesLuhn(digits) ? digits : undefined;
}
