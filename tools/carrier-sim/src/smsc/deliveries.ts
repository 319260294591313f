import { PDU, type Pdu } from './smpp';
import type { Counters } from '../counters';
import { Status } from './status';

/** A deliver_sm the SMSC owes an ESME: a delivery receipt or (a part of) a mobile-originated message. */
export interface Delivery {
  kind: 'receipt' | 'inbound';
  /** The ESME account it goes to: any receiver or transceiver bind of this system_id. */
  systemId: string;
  /** The deliver_sm's parameters and TLVs. */
  fields: Record<string, unknown>;
}

/** A bound receiver or transceiver session the queue may send deliver_sm on. */
export interface DeliveryTarget {
  send(pdu: Pdu, onResponse: (response: Pdu) => void): boolean;
}

interface InFlight {
  delivery: Delivery;
  timer: NodeJS.Timeout;
}

/** Answers that mean "never send this again": a permanent application error, or the message rejected. */
const refusals = new Set<number>([Status.RX_P_APPN, Status.RX_R_APPN]);

const counterPrefix = (delivery: Delivery) => (delivery.kind === 'receipt' ? 'receipts' : 'inbound');

/**
 * What the SMSC sends ESMEs, held until it is acknowledged, as an SMSC does: queued while no receiver of
 * the account is bound and sent when one binds; at most `window` unanswered deliver_sm per session;
 * sent again after `retryMs` when the ESME does not answer, or answers an error (except ESME_RX_P_APPN,
 * "permanent application error", and ESME_RX_R_APPN, "reject message", which drop it); put back at the head of the queue when its session
 * closes before the answer.
 */
export class DeliveryQueue {
  private readonly waiting = new Map<string, Delivery[]>();
  private readonly inFlight = new Map<DeliveryTarget, Set<InFlight>>();
  private readonly retries = new Set<NodeJS.Timeout>();
  private rotation = 0;

  constructor(
    private readonly options: {
      window: number;
      retryMs: number;
      counters: Counters;
      /** The sessions bound to receive for an account, in a stable order. */
      targets: (systemId: string) => DeliveryTarget[];
    },
  ) {}

  enqueue(delivery: Delivery, { first = false } = {}): void {
    let queue = this.waiting.get(delivery.systemId);
    if (!queue) {
      queue = [];
      this.waiting.set(delivery.systemId, queue);
    }
    if (first) queue.unshift(delivery);
    else queue.push(delivery);
    this.pump(delivery.systemId);
  }

  /** Sends what waits for `systemId` on its receivers, as far as their windows allow. */
  pump(systemId: string): void {
    const queue = this.waiting.get(systemId);
    if (!queue?.length) return;
    const targets = this.options.targets(systemId);
    if (targets.length === 0) return;
    let progressed = true;
    while (queue.length > 0 && progressed) {
      progressed = false;
      for (let index = 0; index < targets.length && queue.length > 0; index += 1) {
        const target = targets[(this.rotation + index) % targets.length]!;
        if ((this.inFlight.get(target)?.size ?? 0) >= this.options.window) continue;
        const delivery = queue.shift()!;
        if (this.dispatch(target, delivery)) progressed = true;
        else queue.unshift(delivery);
      }
      this.rotation += 1;
    }
  }

  /** A session closed: what it had in flight goes back to the head of the queue, for another bind. */
  release(target: DeliveryTarget): void {
    const flights = this.inFlight.get(target);
    this.inFlight.delete(target);
    if (!flights) return;
    for (const flight of [...flights].reverse()) {
      clearTimeout(flight.timer);
      this.enqueue(flight.delivery, { first: true });
    }
  }

  /** Deliveries not yet acknowledged (waiting or in flight). */
  get pending(): number {
    let count = 0;
    for (const queue of this.waiting.values()) count += queue.length;
    for (const flights of this.inFlight.values()) count += flights.size;
    return count;
  }

  close(): void {
    for (const timer of this.retries) clearTimeout(timer);
    for (const flights of this.inFlight.values()) for (const flight of flights) clearTimeout(flight.timer);
  }

  private dispatch(target: DeliveryTarget, delivery: Delivery): boolean {
    let flights = this.inFlight.get(target);
    if (!flights) {
      flights = new Set();
      this.inFlight.set(target, flights);
    }
    const prefix = counterPrefix(delivery);
    const flight: InFlight = {
      delivery,
      timer: setTimeout(() => {
        if (!flights.delete(flight)) return;
        this.options.counters.add(`${prefix}Unanswered`);
        this.enqueue(delivery);
      }, this.options.retryMs),
    };
    flights.add(flight);
    let pdu: Pdu;
    try {
      pdu = new PDU('deliver_sm', delivery.fields);
      pdu.toBuffer();
    } catch {
      // Fields the codec cannot encode: nothing to retry.
      flights.delete(flight);
      clearTimeout(flight.timer);
      this.options.counters.add(`${prefix}Invalid`);
      return true;
    }
    const sent = target.send(pdu, (response) => {
      // Answered after its time ran out: it has been queued again already.
      if (!flights.delete(flight)) return;
      clearTimeout(flight.timer);
      if (response.command_status === Status.ROK) this.options.counters.add(`${prefix}Acked`);
      else if (refusals.has(response.command_status)) this.options.counters.add(`${prefix}Refused`);
      else {
        this.options.counters.add(`${prefix}Errors`);
        const timer = setTimeout(() => {
          this.retries.delete(timer);
          this.enqueue(delivery);
        }, this.options.retryMs);
        this.retries.add(timer);
      }
      this.pump(delivery.systemId);
    });
    if (!sent) {
      flights.delete(flight);
      clearTimeout(flight.timer);
      return false;
    }
    this.options.counters.add(`${prefix}Sent`);
    return true;
  }
}
