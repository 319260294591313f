import { describe, expect, it } from '@jest/globals';
import { billingV1, eventsV1 } from '@parley/proto';
import { Authoriser, type WalletState } from './authoriser';
import type { RatePlan } from './plans';

const plan: RatePlan = {
  planId: 'p',
  version: 1,
  currency: 'USD',
  effectiveFrom: new Date('2026-01-01T00:00:00Z'),
  prices: billingV1.PlanPrices.fromPartial({
    smsOutboundPerSegment: { defaultPrice: '0.05', byCountry: {} },
    mmsOutboundPerMessage: { defaultPrice: '0.2', byCountry: {} },
  }),
};

function changed(tenantId: string, balanceMinor: string, reference: string): eventsV1.Envelope {
  return eventsV1.Envelope.fromPartial({
    type: 'billing.balance.changed',
    tenantId,
    payload: Buffer.from(
      billingV1.BalanceChanged.encode({
        balanceMinor,
        currency: 'USD',
        billingMode: 'prepaid',
        creditLimitMinor: '0',
        reference,
      }).finish(),
    ),
  });
}

function authoriser(state: Partial<WalletState>, clock: { now: number }) {
  let loads = 0;
  const subject = new Authoriser({
    load: () => {
      loads += 1;
      return Promise.resolve({
        currency: 'USD',
        billingMode: 'prepaid',
        balanceMinor: 0n,
        creditLimitMinor: 0n,
        plan: [plan],
        ...state,
      });
    },
    now: () => new Date(clock.now),
    reservationTtlMs: 60_000,
    refreshMs: 3_600_000,
  });
  return { subject, loads: () => loads };
}

const send = (reference: string) => ({ kind: 'sms', segments: 1, destinationCountry: 'US', reference });

describe('Authoriser', () => {
  it('reserves each send until its rating, its release or its expiry, from memory', async () => {
    const clock = { now: Date.parse('2026-12-01T00:00:00Z') };
    const { subject, loads } = authoriser({ balanceMinor: 10n }, clock);
    const first = await subject.authorise('t', send('m-1'));
    const second = await subject.authorise('t', send('m-2'));
    expect([first.allowed, second.allowed]).toEqual([true, true]);
    // 10 cents, two sends of 5 reserved: the third is refused.
    expect(await subject.authorise('t', send('m-3'))).toMatchObject({
      allowed: false,
      reason: 'INSUFFICIENT_BALANCE',
    });
    // m-1 rated: balance 5, its reservation gone, m-2's still held -> still nothing left.
    subject.apply(changed('t', '5', 'm-1'));
    expect((await subject.authorise('t', send('m-3'))).allowed).toBe(false);
    // m-2 released (not queued): 5 left again.
    if (second.allowed) {
      subject.release('another-tenant', second.reservationId); // not theirs: nothing changes
      expect((await subject.authorise('t', send('m-3'))).allowed).toBe(false);
      subject.release('t', second.reservationId);
    }
    const third = await subject.authorise('t', send('m-3'));
    expect(third.allowed).toBe(true);
    expect((await subject.authorise('t', send('m-4'))).allowed).toBe(false);
    // m-3 never rated nor released: it expires.
    clock.now += 60_001;
    expect((await subject.authorise('t', send('m-4'))).allowed).toBe(true);
    expect(loads()).toBe(1);
  });

  it("counts only the tenant's own reservations, releases by tenant and reference, and expires the oldest first", async () => {
    const clock = { now: Date.parse('2026-12-01T00:00:00Z') };
    const { subject } = authoriser({ balanceMinor: 10n }, clock);
    // Another tenant's sends take nothing from this one's balance.
    for (const reference of ['o-1', 'o-2'])
      expect((await subject.authorise('other', send(reference))).allowed).toBe(true);
    expect((await subject.authorise('t', send('m-1'))).allowed).toBe(true);
    clock.now += 30_000;
    expect((await subject.authorise('t', send('m-2'))).allowed).toBe(true);
    expect((await subject.authorise('t', send('m-3'))).allowed).toBe(false);
    // A rating naming m-2 for another tenant releases nothing of this one.
    subject.apply(changed('other', '10', 'm-2'));
    expect((await subject.authorise('t', send('m-3'))).allowed).toBe(false);
    // m-1 (made first) expires, m-2 (made 30 s later) does not yet.
    clock.now += 30_001;
    expect((await subject.authorise('t', send('m-3'))).allowed).toBe(true);
    expect((await subject.authorise('t', send('m-4'))).allowed).toBe(false);
    // The rating of m-2 releases it.
    subject.apply(changed('t', '5', 'm-2'));
    expect((await subject.authorise('t', send('m-4'))).allowed).toBe(false); // balance 5, m-3 holds 5
    subject.apply(changed('t', '10', 'top-up'));
    expect((await subject.authorise('t', send('m-4'))).allowed).toBe(true);
  });

  it('lets a top-up through at once and allows every postpaid send', async () => {
    const clock = { now: Date.parse('2026-12-01T00:00:00Z') };
    const { subject } = authoriser({}, clock);
    expect(await subject.authorise('t', send('m-1'))).toMatchObject({
      allowed: false,
      reason: 'INSUFFICIENT_BALANCE',
    });
    subject.apply(changed('t', '100', 'top-up-1'));
    expect((await subject.authorise('t', send('m-1'))).allowed).toBe(true);
    const postpaid = authoriser({ billingMode: 'postpaid', balanceMinor: -5000n }, clock).subject;
    expect((await postpaid.authorise('t', send('m-1'))).allowed).toBe(true);
    const planless = authoriser({ plan: [] }, clock).subject;
    expect(await planless.authorise('t', send('m-1'))).toMatchObject({
      allowed: false,
      reason: 'BILLING_PLAN_MISSING',
    });
  });
});
