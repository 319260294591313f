import { randomBytes } from 'node:crypto';
import { SimError } from '@parley/carrier-sim/src/errors';
import {
  behaviourOf,
  brandOf,
  cardDigits,
  DECLINE_MESSAGES,
  type CardBehaviour,
  type CardBrand,
  type DeclineCode,
} from './cards';
import type { Tally } from './tally';
import type { WebhookSender } from './webhooks';

export interface Token {
  id: string;
  card: { brand: CardBrand; last4: string; expMonth: number; expYear: number };
  created: number;
}

export type ChargeStatus = 'requires_action' | 'succeeded' | 'failed';

export interface Charge {
  id: string;
  status: ChargeStatus;
  amount: number;
  currency: string;
  amountRefunded: number;
  refunded: boolean;
  token: string;
  description?: string;
  /** The merchant's own reference, echoed in webhooks (`metadata` in Stripe). */
  metadata: Record<string, string>;
  failureCode?: DeclineCode;
  failureMessage?: string;
  /** Present while the charge waits for the cardholder (3-D Secure). */
  nextAction?: { type: 'authenticate'; url: string };
  created: number;
}

export interface Refund {
  id: string;
  charge: string;
  amount: number;
  currency: string;
  status: 'succeeded';
  metadata: Record<string, string>;
  created: number;
}

const id = (prefix: string) => `${prefix}_${randomBytes(12).toString('hex')}`;
const now = () => Math.floor(Date.now() / 1000);

/** A card declined at charge time: the charge exists (failed) and the error names it, as processors do. */
export class CardDeclined extends SimError {
  constructor(
    readonly charge: Charge,
    readonly declineCode: DeclineCode,
  ) {
    super(402, 'card_declined', DECLINE_MESSAGES[declineCode]);
  }
}

/**
 * The processor's state, in memory: tokens (the card stays here; only brand, last four and expiry go out),
 * charges through their states (`requires_action` → `succeeded` | `failed`, never back), refunds, and the
 * webhooks every change sends.
 */
export class Processor {
  private readonly tokens = new Map<string, Token & { behaviour: CardBehaviour }>();
  private readonly charges = new Map<string, Charge & { behaviour: CardBehaviour }>();
  private readonly refunds = new Map<string, Refund>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly deps: {
      webhooks: WebhookSender;
      tally: Tally;
      authenticateAfterMs: number;
      actionExpiresAfterMs: number;
      baseUrl: () => string;
    },
  ) {}

  tokenise(
    input: { number: string; expMonth: number; expYear: number; cvc: string },
    at = new Date(),
  ): Token {
    const digits = cardDigits(input.number);
    if (!digits) throw new SimError(402, 'incorrect_number', 'Your card number is incorrect.', 'card.number');
    if (!/^\d{3,4}$/.test(input.cvc))
      throw new SimError(402, 'invalid_cvc', "Your card's security code is invalid.", 'card.cvc');
    const expiresAfter = Date.UTC(input.expYear, input.expMonth, 1); // the first day after the expiry month
    if (expiresAfter <= at.getTime())
      throw new SimError(402, 'expired_card', 'Your card has expired.', 'card.expYear');
    const token = {
      id: id('tok'),
      card: {
        brand: brandOf(digits),
        last4: digits.slice(-4),
        expMonth: input.expMonth,
        expYear: input.expYear,
      },
      created: now(),
      behaviour: behaviourOf(digits),
    };
    this.tokens.set(token.id, token);
    this.deps.tally.add('tokensCreated');
    return publicToken(token);
  }

  getToken(tokenId: string): Token {
    const token = this.tokens.get(tokenId);
    if (!token) throw new SimError(404, 'token_not_found', `no such token: ${tokenId}`);
    return publicToken(token);
  }

  /** Forgets a token (the merchant detached the card): it can no longer be read nor charged. */
  detachToken(tokenId: string): { id: string; deleted: true } {
    if (!this.tokens.delete(tokenId)) throw new SimError(404, 'token_not_found', `no such token: ${tokenId}`);
    this.deps.tally.add('tokensDetached');
    return { id: tokenId, deleted: true };
  }

  charge(input: {
    amount: number;
    currency: string;
    token: string;
    description?: string;
    metadata: Record<string, string>;
  }): Charge {
    const token = this.tokens.get(input.token);
    if (!token) throw new SimError(404, 'token_not_found', `no such token: ${input.token}`, 'token');
    const charge = {
      id: id('ch'),
      status: 'succeeded' as ChargeStatus,
      amount: input.amount,
      currency: input.currency,
      amountRefunded: 0,
      refunded: false,
      token: token.id,
      description: input.description,
      metadata: input.metadata,
      created: now(),
      behaviour: token.behaviour,
    } as Charge & { behaviour: CardBehaviour };
    this.charges.set(charge.id, charge);
    this.deps.tally.add('chargesCreated');
    const { behaviour } = token;
    if (behaviour.kind === 'declined') {
      this.fail(charge, behaviour.declineCode);
      throw new CardDeclined(publicCharge(charge), behaviour.declineCode);
    }
    if (behaviour.kind === 'succeeds') {
      this.succeed(charge);
      return publicCharge(charge);
    }
    charge.status = 'requires_action';
    charge.nextAction = { type: 'authenticate', url: `${this.deps.baseUrl()}/authenticate/${charge.id}` };
    this.deps.tally.add('chargesRequiringAction');
    this.deps.webhooks.emit('charge.requires_action', publicCharge(charge));
    if (this.deps.authenticateAfterMs > 0)
      this.after(this.deps.authenticateAfterMs, () => {
        if (charge.status === 'requires_action') this.authenticate(charge.id, 'approve');
      });
    // A challenge nobody answers expires, as a processor's does: the charge fails and says so by webhook.
    this.after(this.deps.actionExpiresAfterMs, () => {
      if (charge.status !== 'requires_action') return;
      delete charge.nextAction;
      this.fail(charge, 'authentication_expired');
    });
    return publicCharge(charge);
  }

  /** The cardholder's answer to the 3-D Secure challenge (their browser, simulated by the control API). */
  authenticate(chargeId: string, outcome: 'approve' | 'deny'): Charge {
    const charge = this.charges.get(chargeId);
    if (!charge) throw new SimError(404, 'not_found', `no such charge: ${chargeId}`);
    if (charge.status !== 'requires_action')
      throw new SimError(409, 'charge_not_awaiting_action', `charge ${chargeId} is ${charge.status}`);
    delete charge.nextAction;
    const { behaviour } = charge;
    if (outcome === 'deny') this.fail(charge, 'authentication_failed');
    else if (behaviour.kind === 'requires_action_then_declined') this.fail(charge, behaviour.declineCode);
    else this.succeed(charge);
    return publicCharge(charge);
  }

  getCharge(chargeId: string): Charge {
    const charge = this.charges.get(chargeId);
    if (!charge) throw new SimError(404, 'not_found', `no such charge: ${chargeId}`);
    return publicCharge(charge);
  }

  /** Charges whose metadata has `key` = `value`, newest first (Stripe's search by metadata). */
  searchCharges(key: string, value: string): Charge[] {
    return [...this.charges.values()]
      .filter((charge) => charge.metadata[key] === value)
      .reverse()
      .map(publicCharge);
  }

  refund(input: { charge: string; amount?: number; metadata: Record<string, string> }): Refund {
    const charge = this.charges.get(input.charge);
    if (!charge) throw new SimError(404, 'not_found', `no such charge: ${input.charge}`, 'charge');
    if (charge.status !== 'succeeded')
      throw new SimError(409, 'charge_not_refundable', `charge ${charge.id} is ${charge.status}`, 'charge');
    const remaining = charge.amount - charge.amountRefunded;
    const amount = input.amount ?? remaining;
    if (amount > remaining)
      throw new SimError(
        422,
        'amount_too_large',
        `the refund (${amount}) is more than what is left to refund on the charge (${remaining})`,
        'amount',
      );
    charge.amountRefunded += amount;
    charge.refunded = charge.amountRefunded === charge.amount;
    const refund: Refund = {
      id: id('re'),
      charge: charge.id,
      amount,
      currency: charge.currency,
      status: 'succeeded',
      metadata: input.metadata,
      created: now(),
    };
    this.refunds.set(refund.id, refund);
    this.deps.tally.add('refundsCreated');
    this.deps.tally.add('amountRefunded', amount);
    this.deps.webhooks.emit('charge.refunded', { ...publicCharge(charge), refund: structuredClone(refund) });
    return refund;
  }

  close(): void {
    for (const timer of this.timers) clearTimeout(timer);
  }

  /** Runs `work` after `ms`, unless the processor closes first (the timer keeps no process alive). */
  private after(ms: number, work: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      work();
    }, ms);
    timer.unref();
    this.timers.add(timer);
  }

  private succeed(charge: Charge): void {
    charge.status = 'succeeded';
    this.deps.tally.add('chargesSucceeded');
    this.deps.tally.add('amountCaptured', charge.amount);
    this.deps.webhooks.emit('charge.succeeded', publicCharge(charge));
  }

  private fail(charge: Charge, code: DeclineCode): void {
    charge.status = 'failed';
    charge.failureCode = code;
    charge.failureMessage = DECLINE_MESSAGES[code];
    this.deps.tally.add('chargesFailed');
    this.deps.webhooks.emit('charge.failed', publicCharge(charge));
  }
}

function publicToken(token: Token & { behaviour?: CardBehaviour }): Token {
  const { behaviour: _behaviour, ...visible } = token;
  return structuredClone(visible);
}

function publicCharge(charge: Charge & { behaviour?: CardBehaviour }): Charge {
  const { behaviour: _behaviour, ...visible } = charge;
  return structuredClone(visible);
}
