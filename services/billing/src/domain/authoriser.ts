import { randomUUID } from 'node:crypto';
import { Money } from '@parley/kit';
import { billingV1, type eventsV1 } from '@parley/proto';
import { versionAt, type RatePlan } from './plans';
import { rateOutboundMessage } from './rating';
import { available } from './wallet';

/** What authorisation needs of a tenant, loaded once and then kept current by billing.balance.changed. */
export interface WalletState {
  currency: string;
  billingMode: 'prepaid' | 'postpaid';
  balanceMinor: bigint;
  creditLimitMinor: bigint;
  /** The plan's versions; none when the tenant is on no plan. */
  plan: RatePlan[];
}

export interface SendEstimate {
  kind: string;
  segments: number;
  destinationCountry: string;
  /** The message id: its rating (billing.balance.changed with this reference) releases the reservation. */
  reference: string;
}

export type AuthoriseAnswer =
  | { allowed: true; reservationId: string; estimate: Money | undefined }
  | {
      allowed: false;
      reason: 'INSUFFICIENT_BALANCE' | 'BILLING_PLAN_MISSING' | 'BILLING_ACCOUNT_NOT_FOUND';
      message: string;
    };

interface Reservation {
  tenantId: string;
  reference: string;
  amount: bigint;
  expiresAt: number;
}

/**
 * Prepaid authorisation answered from memory. A tenant's wallet is read from the database the first time and
 * re-read after `refreshMs` (plan versions change rarely); its balance then follows billing.balance.changed,
 * which every replica hears. Each allowed send reserves its estimated price until its usage is rated (the
 * change names the message as its reference), it is released (a send that failed), or `reservationTtlMs`
 * passes. Reservations are per replica: with several replicas a tenant can overspend by what the others
 * reserved at the same moment, bounded by one send per concurrent request.
 */
export class Authoriser {
  private readonly wallets = new Map<string, { state: WalletState; loadedAt: number }>();
  /**
   * Live reservations in the order they were made, which is the order they expire in (one TTL for all):
   * expiry looks only at the oldest, and a tenant's total is kept as reservations come and go. Walking every
   * reservation of every tenant on each send and each rating cost time in proportion to the sends in flight.
   */
  private readonly reservations = new Map<string, Reservation>();
  private readonly reservedBy = new Map<string, bigint>();
  /** The reservations of a send (tenant and reference), which its rating releases. */
  private readonly byReference = new Map<string, Set<string>>();

  constructor(
    private readonly deps: {
      load(tenantId: string): Promise<WalletState | undefined>;
      now: () => Date;
      reservationTtlMs: number;
      refreshMs: number;
    },
  ) {}

  async authorise(tenantId: string, send: SendEstimate): Promise<AuthoriseAnswer> {
    const now = this.deps.now();
    const state = await this.wallet(tenantId, now.getTime());
    if (!state) {
      return {
        allowed: false,
        reason: 'BILLING_ACCOUNT_NOT_FOUND',
        message: 'the tenant has no billing account yet',
      };
    }
    const plan = versionAt(state.plan, now);
    if (!plan) return { allowed: false, reason: 'BILLING_PLAN_MISSING', message: 'the tenant is on no plan' };
    const estimate = rateOutboundMessage(plan, send).amount;
    if (state.billingMode === 'prepaid') {
      const left = available(state, this.reserved(tenantId, now.getTime()));
      if (left < estimate.minorUnits || left <= 0n) {
        return {
          allowed: false,
          reason: 'INSUFFICIENT_BALANCE',
          message: 'the prepaid balance does not cover this send; top up to continue',
        };
      }
    }
    const reservationId = randomUUID();
    this.add(reservationId, {
      tenantId,
      reference: send.reference,
      amount: estimate.minorUnits,
      expiresAt: now.getTime() + this.deps.reservationTtlMs,
    });
    return { allowed: true, reservationId, estimate };
  }

  /** Ends a reservation of this tenant (another tenant's id changes nothing). */
  release(tenantId: string, reservationId: string): void {
    if (this.reservations.get(reservationId)?.tenantId === tenantId) this.remove(reservationId);
  }

  /** billing.balance.changed, heard by every replica: the new balance, and the rated send's reservation released. */
  apply(envelope: eventsV1.Envelope): void {
    if (envelope.type !== 'billing.balance.changed') return;
    const change = billingV1.BalanceChanged.decode(envelope.payload);
    const entry = this.wallets.get(envelope.tenantId);
    if (entry) {
      if (change.reference === '') {
        // Settings or plan changed: read the whole wallet again on the next authorisation.
        this.wallets.delete(envelope.tenantId);
      } else {
        entry.state.balanceMinor = BigInt(change.balanceMinor);
        entry.state.creditLimitMinor = BigInt(change.creditLimitMinor);
        entry.state.billingMode = change.billingMode === 'postpaid' ? 'postpaid' : 'prepaid';
      }
    }
    if (change.reference) {
      const ids = this.byReference.get(referenceKey(envelope.tenantId, change.reference));
      for (const id of [...(ids ?? [])]) this.remove(id);
    }
  }

  private reserved(tenantId: string, now: number): bigint {
    // The oldest first: the first one still live ends the walk.
    for (const [id, reservation] of this.reservations) {
      if (reservation.expiresAt > now) break;
      this.remove(id);
    }
    return this.reservedBy.get(tenantId) ?? 0n;
  }

  private add(id: string, reservation: Reservation): void {
    this.reservations.set(id, reservation);
    const { tenantId, amount } = reservation;
    this.reservedBy.set(tenantId, (this.reservedBy.get(tenantId) ?? 0n) + amount);
    const key = referenceKey(tenantId, reservation.reference);
    const ids = this.byReference.get(key);
    if (ids) ids.add(id);
    else this.byReference.set(key, new Set([id]));
  }

  private remove(id: string): void {
    const reservation = this.reservations.get(id);
    if (!reservation) return;
    this.reservations.delete(id);
    const { tenantId, amount } = reservation;
    const total = (this.reservedBy.get(tenantId) ?? 0n) - amount;
    if (total === 0n) this.reservedBy.delete(tenantId);
    else this.reservedBy.set(tenantId, total);
    const key = referenceKey(tenantId, reservation.reference);
    const ids = this.byReference.get(key);
    ids?.delete(id);
    if (ids?.size === 0) this.byReference.delete(key);
  }

  private async wallet(tenantId: string, now: number): Promise<WalletState | undefined> {
    const cached = this.wallets.get(tenantId);
    if (cached && now - cached.loadedAt < this.deps.refreshMs) return cached.state;
    const state = await this.deps.load(tenantId);
    if (state) this.wallets.set(tenantId, { state, loadedAt: now });
    return state;
  }
}

const referenceKey = (tenantId: string, reference: string) => `${tenantId}\n${reference}`;

/** Money of a wallet state, for answers. */
export const balanceOf = (state: WalletState) => Money.of(state.balanceMinor, state.currency);
