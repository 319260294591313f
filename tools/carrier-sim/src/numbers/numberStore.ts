import { randomUUID } from 'node:crypto';
import type { CallbackSender } from '../callbacks';
import type { Counters } from '../counters';
import { SimError, notFound } from '../errors';
import { describeNumber, generateInventory, magicBehaviour, type InventoryNumber } from './inventory';
import { matcher, servesCountry, type SearchQuery } from './search';

/** Thrown for the `…9992` magic numbers: the HTTP layer holds the request and never answers in time. */
export class HoldRequest extends Error {
  constructor() {
    super('magic number: the supplier does not answer');
  }
}

export interface Routing {
  messagingRoute?: string;
  voiceRoute?: string;
}

interface Holding {
  number: InventoryNumber;
  /** The pending order holding it, or `owned` once sold or ported in. */
  heldBy?: { order: string } | 'owned';
  reservation?: string;
  routing: Routing;
}

export type ReservationStatus = 'active' | 'expired' | 'consumed';

interface Reservation {
  id: string;
  reference: string;
  phoneNumbers: string[];
  expiresAt: number;
  consumed: boolean;
}

export type OrderStatus = 'pending' | 'completed' | 'failed';

interface Order {
  id: string;
  reference: string;
  phoneNumbers: string[];
  reservationId?: string;
  callbackUrl?: string;
  status: OrderStatus;
  failureReason?: string;
  createdAt: number;
  dueAt: number;
  completedAt?: number;
}

export type PortInStatus =
  'submitted' | 'exception' | 'foc_date_confirmed' | 'activating' | 'ported' | 'cancelled';

export interface PortInRequest {
  phoneNumbers: string[];
  losingCarrier: string;
  accountNumber: string;
  pin?: string;
  authorizedName: string;
  requestedDate: string;
  reference: string;
  callbackUrl?: string;
}

interface PortIn {
  id: string;
  reference: string;
  phoneNumbers: string[];
  losingCarrier: string;
  requestedDate: string;
  focDate: string;
  /** What the losing carrier will find wrong, decided at submission (the personal fields are not kept). */
  problem?: 'pin_mismatch' | 'name_mismatch';
  callbackUrl?: string;
  status: PortInStatus;
  exceptionReason?: string;
  createdAt: number;
  updatedAt: number;
  nextStepAt: number;
}

export interface NumberStoreOptions {
  /** How long an order stays pending before it completes or fails. */
  orderDelayMs: number;
  /** How long a port-in stays in each state. */
  portStepMs: number;
  /** Numbers generated in every range. */
  perRange: number;
  seed?: number;
  counters: Counters;
  callbacks: CallbackSender;
  /** True during an outage: nothing moves on until `advance()` is called after it. */
  paused: () => boolean;
  now?: () => number;
}

const PORT_STEPS: Partial<Record<PortInStatus, PortInStatus>> = {
  submitted: 'foc_date_confirmed',
  foc_date_confirmed: 'activating',
  activating: 'ported',
};

/**
 * The supplier's number business, in memory: its inventory, reservations, orders, the numbers the account
 * holds with their routing, and port-ins. Orders and port-ins move on with time (`advance`, run by timers
 * and before every read), never during an outage.
 */
export class NumberStore {
  private readonly numbers = new Map<string, Holding>();
  private readonly reservations = new Map<string, Reservation>();
  private readonly reservationsByReference = new Map<string, string>();
  private readonly orders = new Map<string, Order>();
  private readonly ordersByReference = new Map<string, string>();
  private readonly portIns = new Map<string, PortIn>();
  private readonly portInsByReference = new Map<string, string>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly now: () => number;

  constructor(private readonly options: NumberStoreOptions) {
    this.now = options.now ?? Date.now;
    for (const number of generateInventory({ perRange: options.perRange, seed: options.seed }))
      this.numbers.set(number.phoneNumber, { number, routing: {} });
  }

  search(query: SearchQuery): InventoryNumber[] {
    if (!servesCountry(query.country))
      throw new SimError(422, 'country_not_supported', `no numbers are sold in ${query.country}`, 'country');
    this.options.counters.add('searches');
    const matches = matcher(query);
    const found: InventoryNumber[] = [];
    for (const holding of this.numbers.values()) {
      if (found.length >= query.limit) break;
      if (this.isAvailable(holding) && matches(holding.number)) found.push(holding.number);
    }
    return found;
  }

  reserve(phoneNumbers: string[], ttlSeconds: number, reference: string) {
    const existing = this.reservationsByReference.get(reference);
    if (existing) {
      const reservation = this.reservations.get(existing)!;
      this.sameNumbers(reservation.phoneNumbers, phoneNumbers);
      this.options.counters.add('reservationReplays');
      return this.reservationView(reservation);
    }
    this.checkMagic(phoneNumbers);
    const holdings = phoneNumbers.map((phoneNumber) => this.availableHolding(phoneNumber));
    const reservation: Reservation = {
      id: `res_${randomUUID()}`,
      reference,
      phoneNumbers,
      expiresAt: this.now() + ttlSeconds * 1000,
      consumed: false,
    };
    this.reservations.set(reservation.id, reservation);
    this.reservationsByReference.set(reference, reservation.id);
    for (const holding of holdings) holding.reservation = reservation.id;
    this.options.counters.add('reservationsCreated');
    return this.reservationView(reservation);
  }

  getReservation(id: string) {
    const reservation = this.reservations.get(id);
    if (!reservation) throw notFound('reservation');
    return this.reservationView(reservation);
  }

  order(input: { phoneNumbers: string[]; reference: string; reservationId?: string; callbackUrl?: string }) {
    const existing = this.ordersByReference.get(input.reference);
    if (existing) {
      const order = this.orders.get(existing)!;
      this.sameNumbers(order.phoneNumbers, input.phoneNumbers);
      this.options.counters.add('orderReplays');
      return { order: this.orderView(order), replayed: true };
    }
    this.checkMagic(input.phoneNumbers);
    if (input.reservationId) {
      const reservation = this.reservations.get(input.reservationId);
      if (!reservation || reservation.consumed || this.now() >= reservation.expiresAt)
        throw new SimError(
          409,
          'reservation_expired',
          'the reservation expired or is unknown',
          'reservationId',
        );
      const outside = input.phoneNumbers.filter((number) => !reservation.phoneNumbers.includes(number));
      if (outside.length > 0)
        throw new SimError(422, 'not_reserved', 'a number is not in the reservation', 'phoneNumbers');
    }
    const holdings = input.phoneNumbers.map((phoneNumber) => this.availableHolding(phoneNumber));
    const now = this.now();
    const order: Order = {
      id: `ord_${randomUUID()}`,
      reference: input.reference,
      phoneNumbers: input.phoneNumbers,
      reservationId: input.reservationId,
      callbackUrl: input.callbackUrl,
      status: 'pending',
      createdAt: now,
      dueAt: now + this.options.orderDelayMs,
    };
    this.orders.set(order.id, order);
    this.ordersByReference.set(order.reference, order.id);
    for (const holding of holdings) {
      holding.heldBy = { order: order.id };
      if (holding.reservation) this.reservations.get(holding.reservation)!.consumed = true;
      holding.reservation = undefined;
    }
    this.options.counters.add('ordersPlaced');
    this.wake(order.dueAt);
    return { order: this.orderView(order), replayed: false };
  }

  getOrder(id: string) {
    this.advance();
    const order = this.orders.get(id);
    if (!order) throw notFound('order');
    return this.orderView(order);
  }

  /** The account's number, with its routing. */
  getNumber(phoneNumber: string) {
    const holding = this.numbers.get(phoneNumber);
    if (!holding || holding.heldBy !== 'owned') throw notFound('number on this account');
    return { ...publicNumber(holding.number), status: 'active' as const, routing: holding.routing };
  }

  /** Gives a number back: it returns to the inventory. Releasing a number the account does not hold is a no-op. */
  release(phoneNumber: string): void {
    this.advance();
    const holding = this.numbers.get(phoneNumber);
    if (!holding) throw notFound('number');
    if (holding.heldBy && holding.heldBy !== 'owned')
      throw new SimError(409, 'order_pending', 'the number has an order in progress; release it once done');
    if (holding.heldBy !== 'owned') return;
    holding.heldBy = undefined;
    holding.routing = {};
    this.options.counters.add('numbersReleased');
  }

  configureRouting(phoneNumber: string, routing: Routing) {
    this.advance();
    const holding = this.numbers.get(phoneNumber);
    if (!holding || holding.heldBy !== 'owned') throw notFound('number on this account');
    holding.routing = { ...routing };
    this.options.counters.add('routingUpdates');
    return this.getNumber(phoneNumber);
  }

  submitPortIn(request: PortInRequest) {
    const existing = this.portInsByReference.get(request.reference);
    if (existing) {
      const portIn = this.portIns.get(existing)!;
      this.sameNumbers(portIn.phoneNumbers, request.phoneNumbers);
      this.options.counters.add('portInReplays');
      return { portIn: this.portInView(portIn), replayed: true };
    }
    for (const phoneNumber of request.phoneNumbers) {
      if (this.numbers.get(phoneNumber)?.heldBy === 'owned')
        throw new SimError(
          409,
          'number_already_active',
          'a number is already on this account',
          'phoneNumbers',
        );
      const busy = [...this.portIns.values()].some(
        (portIn) =>
          portIn.phoneNumbers.includes(phoneNumber) &&
          !['ported', 'cancelled', 'exception'].includes(portIn.status),
      );
      if (busy)
        throw new SimError(409, 'port_in_in_progress', 'a number is already in a port-in', 'phoneNumbers');
      if (!describeNumber(phoneNumber) && !this.numbers.has(phoneNumber))
        throw new SimError(
          422,
          'number_not_portable',
          'a number is outside the ranges served',
          'phoneNumbers',
        );
    }
    const now = this.now();
    const portIn: PortIn = {
      id: `port_${randomUUID()}`,
      reference: request.reference,
      phoneNumbers: request.phoneNumbers,
      losingCarrier: request.losingCarrier,
      requestedDate: request.requestedDate,
      focDate: focDate(request.requestedDate, new Date(now)),
      problem:
        request.pin === '0000'
          ? 'pin_mismatch'
          : request.authorizedName === 'Mismatch Name'
            ? 'name_mismatch'
            : undefined,
      callbackUrl: request.callbackUrl,
      status: 'submitted',
      createdAt: now,
      updatedAt: now,
      nextStepAt: now + this.options.portStepMs,
    };
    this.portIns.set(portIn.id, portIn);
    this.portInsByReference.set(portIn.reference, portIn.id);
    this.options.counters.add('portInsSubmitted');
    this.wake(portIn.nextStepAt);
    return { portIn: this.portInView(portIn), replayed: false };
  }

  getPortIn(id: string) {
    this.advance();
    const portIn = this.portIns.get(id);
    if (!portIn) throw notFound('port-in');
    return this.portInView(portIn);
  }

  cancelPortIn(id: string) {
    this.advance();
    const portIn = this.portIns.get(id);
    if (!portIn) throw notFound('port-in');
    if (portIn.status === 'cancelled') return this.portInView(portIn);
    if (portIn.status === 'activating' || portIn.status === 'ported')
      throw new SimError(
        409,
        'port_in_not_cancellable',
        `a port-in that is ${portIn.status} cannot be cancelled`,
      );
    this.movePortIn(portIn, 'cancelled');
    this.options.counters.add('portInsCancelled');
    return this.portInView(portIn);
  }

  /** Completes due orders and moves due port-ins on; does nothing during an outage. */
  advance(): void {
    if (this.options.paused()) return;
    const now = this.now();
    for (const order of this.orders.values())
      if (order.status === 'pending' && now >= order.dueAt) this.finishOrder(order, now);
    for (const portIn of this.portIns.values()) {
      while (now >= portIn.nextStepAt && PORT_STEPS[portIn.status]) {
        const next =
          portIn.problem && portIn.status === 'submitted' ? 'exception' : PORT_STEPS[portIn.status]!;
        this.movePortIn(portIn, next);
        portIn.nextStepAt += this.options.portStepMs;
      }
      if (PORT_STEPS[portIn.status]) this.wake(portIn.nextStepAt);
    }
  }

  /** Stops every timer (the process is stopping). */
  close(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private finishOrder(order: Order, now: number): void {
    const fails = order.phoneNumbers.some((number) => magicBehaviour(number) === 'orderFails');
    order.status = fails ? 'failed' : 'completed';
    order.completedAt = now;
    for (const phoneNumber of order.phoneNumbers) {
      const holding = this.numbers.get(phoneNumber)!;
      holding.heldBy = fails ? undefined : 'owned';
    }
    if (fails) {
      order.failureReason = 'carrier_rejected';
      this.options.counters.add('ordersFailed');
    } else {
      this.options.counters.add('ordersCompleted');
      this.options.counters.add('numbersSold', order.phoneNumbers.length);
    }
    if (order.callbackUrl)
      this.options.callbacks.send(order.callbackUrl, {
        type: fails ? 'order.failed' : 'order.completed',
        data: this.orderView(order),
      });
  }

  private movePortIn(portIn: PortIn, status: PortInStatus): void {
    portIn.status = status;
    portIn.updatedAt = this.now();
    if (status === 'exception') portIn.exceptionReason = portIn.problem;
    if (status === 'ported') {
      for (const phoneNumber of portIn.phoneNumbers) {
        const holding = this.numbers.get(phoneNumber);
        if (holding) {
          holding.heldBy = 'owned';
          holding.reservation = undefined;
        } else {
          const number = describeNumber(phoneNumber)!;
          this.numbers.set(phoneNumber, { number, heldBy: 'owned', routing: {} });
        }
      }
      this.options.counters.add('portInsPorted');
      this.options.counters.add('numbersPorted', portIn.phoneNumbers.length);
    }
    if (portIn.callbackUrl)
      this.options.callbacks.send(portIn.callbackUrl, {
        type: 'port_in.status_changed',
        data: this.portInView(portIn),
      });
  }

  /** Runs `advance` at `at` (or as soon as an outage lets it). */
  wake(at: number): void {
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        this.advance();
      },
      Math.max(0, at - this.now()),
    );
    timer.unref();
    this.timers.add(timer);
  }

  private isAvailable(holding: Holding): boolean {
    if (holding.heldBy) return false;
    if (!holding.reservation) return true;
    const reservation = this.reservations.get(holding.reservation)!;
    return reservation.consumed || this.now() >= reservation.expiresAt;
  }

  /**
   * The number's holding when the account may buy or reserve it: free, or held by one of the account's
   * own reservations (reservations belong to the account, as at Telnyx). Otherwise `number_unavailable`.
   */
  private availableHolding(phoneNumber: string): Holding {
    const holding = this.numbers.get(phoneNumber);
    if (!holding || holding.heldBy)
      throw new SimError(409, 'number_unavailable', 'a number is no longer available', 'phoneNumbers');
    return holding;
  }

  private checkMagic(phoneNumbers: string[]): void {
    if (!phoneNumbers.every((number) => this.numbers.has(number))) return;
    const behaviours = phoneNumbers.map(magicBehaviour);
    if (behaviours.includes('timesOut')) throw new HoldRequest();
    if (behaviours.includes('takenByAnotherBuyer')) {
      this.options.counters.add('numbersTakenByAnotherBuyer');
      throw new SimError(409, 'number_unavailable', 'another buyer took a number', 'phoneNumbers');
    }
  }

  private sameNumbers(known: string[], given: string[]): void {
    const same = known.length === given.length && [...known].sort().join() === [...given].sort().join();
    if (!same)
      throw new SimError(409, 'reference_conflict', 'this reference was used for other numbers', 'reference');
  }

  private reservationView(reservation: Reservation) {
    const status: ReservationStatus = reservation.consumed
      ? 'consumed'
      : this.now() >= reservation.expiresAt
        ? 'expired'
        : 'active';
    return {
      id: reservation.id,
      reference: reservation.reference,
      status,
      phoneNumbers: reservation.phoneNumbers,
      expiresAt: new Date(reservation.expiresAt).toISOString(),
    };
  }

  private orderView(order: Order) {
    return {
      id: order.id,
      reference: order.reference,
      status: order.status,
      phoneNumbers: order.phoneNumbers,
      ...(order.reservationId ? { reservationId: order.reservationId } : {}),
      ...(order.failureReason ? { failureReason: order.failureReason } : {}),
      createdAt: new Date(order.createdAt).toISOString(),
      ...(order.completedAt ? { completedAt: new Date(order.completedAt).toISOString() } : {}),
    };
  }

  private portInView(portIn: PortIn) {
    const confirmed = ['foc_date_confirmed', 'activating', 'ported'].includes(portIn.status);
    return {
      id: portIn.id,
      reference: portIn.reference,
      status: portIn.status,
      phoneNumbers: portIn.phoneNumbers,
      losingCarrier: portIn.losingCarrier,
      requestedDate: portIn.requestedDate,
      ...(confirmed ? { focDate: portIn.focDate } : {}),
      ...(portIn.exceptionReason ? { exceptionReason: portIn.exceptionReason } : {}),
      createdAt: new Date(portIn.createdAt).toISOString(),
      updatedAt: new Date(portIn.updatedAt).toISOString(),
    };
  }
}

/** A number as search answers it (without the internal national number). */
export function publicNumber(number: InventoryNumber) {
  const { nationalNumber: _nationalNumber, ...rest } = number;
  return rest;
}

/** The requested date (YYYY-MM-DD), or the next business day after `today` when it is in the past. */
export function focDate(requested: string, today: Date): string {
  const todayText = today.toISOString().slice(0, 10);
  if (requested >= todayText) return requested;
  const next = new Date(`${todayText}T00:00:00Z`);
  do next.setUTCDate(next.getUTCDate() + 1);
  while (next.getUTCDay() === 0 || next.getUTCDay() === 6);
  return next.toISOString().slice(0, 10);
}
