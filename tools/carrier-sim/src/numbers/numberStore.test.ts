import { describe, expect, it } from '@jest/globals';
import { CallbackSender } from '../callbacks';
import { Counters } from '../counters';
import { SimError } from '../errors';
import { focDate, HoldRequest, NumberStore } from './numberStore';

/** A store on a clock the test moves; no timers are due unless the test says so. */
function storeAt(start = Date.parse('2026-12-01T10:00:00Z')) {
  let now = start;
  let paused = false;
  const counters = new Counters();
  const store = new NumberStore({
    orderDelayMs: 1_000,
    portStepMs: 5_000,
    perRange: 10,
    counters,
    callbacks: new CallbackSender({ secret: 'x'.repeat(16), maxAttempts: 1, retryDelayMs: 1, counters }),
    paused: () => paused,
    now: () => now,
  });
  return {
    store,
    counters,
    tick: (ms: number) => {
      now += ms;
      store.advance();
    },
    pause: (value: boolean) => {
      paused = value;
      store.advance();
    },
  };
}

function code(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof SimError) return error.code;
    if (error instanceof HoldRequest) return 'held';
    throw error;
  }
  return 'none';
}

describe('NumberStore', () => {
  it('completes an order after its delay, and a replay is the same order, counted once', () => {
    const { store, counters, tick } = storeAt();
    const [number] = store.search({ country: 'US', capabilities: [], limit: 1 });
    const first = store.order({ phoneNumbers: [number!.phoneNumber], reference: 'r1' });
    tick(999);
    expect(store.getOrder(first.order.id).status).toBe('pending');
    tick(1);
    expect(store.getOrder(first.order.id).status).toBe('completed');
    expect(store.order({ phoneNumbers: [number!.phoneNumber], reference: 'r1' })).toMatchObject({
      replayed: true,
      order: { id: first.order.id, status: 'completed' },
    });
    expect(counters.snapshot()).toMatchObject({
      ordersPlaced: 1,
      ordersCompleted: 1,
      numbersSold: 1,
      orderReplays: 1,
    });
    store.close();
  });

  it('moves nothing on during an outage and catches up when it ends', () => {
    const { store, tick, pause } = storeAt();
    const [number] = store.search({ country: 'GB', capabilities: [], limit: 1 });
    const { order } = store.order({ phoneNumbers: [number!.phoneNumber], reference: 'r2' });
    pause(true);
    tick(10_000);
    pause(false);
    expect(store.getOrder(order.id).status).toBe('completed');
    store.close();
  });

  it('holds reserved numbers for their TTL only', () => {
    const { store, tick } = storeAt();
    const [number] = store.search({ country: 'FR', capabilities: [], limit: 1 });
    const phoneNumber = number!.phoneNumber;
    const reservation = store.reserve([phoneNumber], 60, 'res-1');
    expect(
      store.search({ country: 'FR', capabilities: [], limit: 100 }).map((n) => n.phoneNumber),
    ).not.toContain(phoneNumber);
    tick(60_000);
    expect(store.getReservation(reservation.id).status).toBe('expired');
    expect(
      code(() => store.order({ phoneNumbers: [phoneNumber], reference: 'o', reservationId: reservation.id })),
    ).toBe('reservation_expired');
    expect(store.search({ country: 'FR', capabilities: [], limit: 100 }).map((n) => n.phoneNumber)).toContain(
      phoneNumber,
    );
    store.close();
  });

  it('answers the magic numbers: 9991 taken, 9992 held, 9990 failing with carrier_rejected', () => {
    const { store, tick } = storeAt();
    const magic = (suffix: string) =>
      store
        .search({ country: 'KE', areaCode: '20', capabilities: [], contains: `${suffix}`, limit: 100 })
        .find((number) => number.phoneNumber.endsWith(suffix))!.phoneNumber;
    expect(code(() => store.order({ phoneNumbers: [magic('9991')], reference: 'a' }))).toBe(
      'number_unavailable',
    );
    expect(code(() => store.reserve([magic('9992')], 60, 'b'))).toBe('held');
    const { order } = store.order({ phoneNumbers: [magic('9990')], reference: 'c' });
    tick(1_000);
    expect(store.getOrder(order.id)).toMatchObject({ status: 'failed', failureReason: 'carrier_rejected' });
    store.close();
  });

  it('refuses a reference reused for other numbers and an unknown country', () => {
    const { store } = storeAt();
    const [a, b] = store.search({ country: 'DE', capabilities: [], limit: 2 });
    store.order({ phoneNumbers: [a!.phoneNumber], reference: 'same' });
    expect(code(() => store.order({ phoneNumbers: [b!.phoneNumber], reference: 'same' }))).toBe(
      'reference_conflict',
    );
    expect(code(() => store.search({ country: 'IT', capabilities: [], limit: 1 }))).toBe(
      'country_not_supported',
    );
    store.close();
  });

  it('takes a port-in through its states one step at a time, and refuses to cancel once activating', () => {
    const { store, tick } = storeAt();
    const request = {
      phoneNumbers: ['+14155550142'],
      losingCarrier: 'Old Telco',
      accountNumber: 'A1',
      authorizedName: 'Jane Example',
      requestedDate: '2026-12-10',
      reference: 'p1',
    };
    const { portIn } = store.submitPortIn(request);
    const seen = [portIn.status];
    for (let step = 0; step < 3; step += 1) {
      tick(5_000);
      seen.push(store.getPortIn(portIn.id).status);
      if (seen.at(-1) === 'activating')
        expect(code(() => store.cancelPortIn(portIn.id))).toBe('port_in_not_cancellable');
    }
    expect(seen).toEqual(['submitted', 'foc_date_confirmed', 'activating', 'ported']);
    expect(store.getPortIn(portIn.id).focDate).toBe('2026-12-10');
    expect(store.getNumber('+14155550142').status).toBe('active');
    store.close();
  });
});

describe('focDate', () => {
  const tuesday = new Date('2026-12-01T10:00:00Z');
  it('is the requested date when it is today or later', () => {
    expect(focDate('2026-12-01', tuesday)).toBe('2026-12-01');
    expect(focDate('2026-12-24', tuesday)).toBe('2026-12-24');
  });
  it('is the next business day when the requested date is past', () => {
    expect(focDate('2026-11-20', tuesday)).toBe('2026-12-02');
    expect(focDate('2026-11-20', new Date('2026-12-04T10:00:00Z'))).toBe('2026-12-07'); // Friday → Monday
  });
});
