/**
 * Which tenant's send goes first when the send queue backs up. Every accepted send is counted against its
 * tenant in a rate that decays with a one-second time constant, and its job gets a pg-boss priority from
 * that rate: 0 for a tenant sending about one message a second or less, one lower for each doubling above
 * it. The queue is taken highest priority first, then oldest first, so a tenant sending at 2/s is not
 * queued behind another's burst of 40/s: the burst waits only for the light senders, which are bounded by
 * what they send, and takes every worker when nobody else waits. Each replica counts what it accepts (with
 * several replicas each sees its share; the order between tenants is what matters, not the exact rate).
 */

/** The decay time constant: the rate is roughly the sends of the last second. */
const TIME_CONSTANT_MS = 1_000;
/** The lowest priority given (a tenant at about 2^16 sends per second). */
const LOWEST = -16;
/** A rate that has decayed below this is forgotten (its tenant is back at priority 0). */
const FORGET_BELOW = 0.01;
/** Forgotten tenants are swept out at most this often. */
const SWEEP_EVERY_MS = 10_000;

interface Rate {
  value: number;
  at: number;
}

export class SendPriorities {
  private readonly rates = new Map<string, Rate>();
  private sweptAt = 0;

  /** Counts one send of `tenantId` at `now` and answers the priority of its job. */
  next(tenantId: string, now: number = Date.now()): number {
    const rate = this.rates.get(tenantId);
    const value = (rate ? decayed(rate, now) : 0) + 1;
    this.rates.set(tenantId, { value, at: now });
    if (now - this.sweptAt > SWEEP_EVERY_MS) this.sweep(now);
    return priorityOf(value);
  }

  /** Tenants whose rate is still remembered (for tests and metrics). */
  get size(): number {
    return this.rates.size;
  }

  private sweep(now: number): void {
    this.sweptAt = now;
    for (const [tenantId, rate] of this.rates) {
      if (decayed(rate, now) < FORGET_BELOW) this.rates.delete(tenantId);
    }
  }
}

function decayed(rate: Rate, now: number): number {
  return rate.value * Math.exp(-Math.max(0, now - rate.at) / TIME_CONSTANT_MS);
}

/** 0 up to a rate of about 2 (one send a second, counting the current one); one lower per doubling. */
export function priorityOf(rate: number): number {
  const doublings = Math.floor(Math.log2(rate)) - 1;
  return doublings > 0 ? Math.max(LOWEST, -doublings) : 0;
}
