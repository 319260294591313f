// The carrier adapter's port: how messaging hands messages to a carrier and hears back from it. SMPP is
// the first implementation (src/carrier/smpp.ts); an HTTP carrier, or a second SMPP route for failover,
// implements the same interface.
import type { ReceiptState } from '../db/schema';
import type { ReceiptEcho } from './inDoubt';
import type { SmsEncoding } from './segments';

export interface OutboundMessage {
  /** Parley's message id: the carrier sees a reference derived from it (a resend is the same message). */
  id: string;
  from: string;
  to: string;
  encoding: SmsEncoding;
  /** The text of each part, as splitSmsBody cut it (one part for a message that fits one SMS). */
  parts: string[];
  /** When the carrier should stop trying to deliver it. */
  expiresAt: Date;
}

/** A delivery receipt for one part, by the carrier's id of that part. */
export interface Receipt {
  carrierMessageId: string;
  state: ReceiptState;
  /** The carrier's error (e.g. UNDELIV:001), null when delivered. */
  errorCode: string | null;
  /**
   * What the receipt says of its message, when it says it: the message's sender and recipient (the
   * receipt's destination and source) and the text it quotes. How a send in doubt recognises the receipt
   * of a submit whose part id it never recorded (domain/inDoubt.ts).
   */
  echo?: ReceiptEcho;
}

/**
 * A mobile-originated message as the carrier handed it over: a whole message, or one part of a
 * concatenated one (`part`, from the UDH's concatenation element or the sar_* TLVs), which messaging
 * keeps until its siblings have come (src/carrier/inbound.ts).
 */
export interface InboundMessage {
  /** E.164 when the address is a number ('+' and its digits), else the address as sent. */
  from: string;
  to: string;
  encoding: SmsEncoding;
  /** The decoded text of this message or part. */
  text: string;
  part?: { reference: number; total: number; sequence: number };
}

/**
 * Why a submit did not go through. `busy`: the carrier is throttling or its queue is full, or no bind is
 * up; nothing was accepted for good and the same message may be offered again later. `rejected`: refused
 * for good (the message fails with `code`).
 */
export class CarrierError extends Error {
  constructor(
    readonly kind: 'busy' | 'rejected',
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'CarrierError';
  }
}

/**
 * True when a submit that ended in this error may still have been accepted by the carrier: its answer did
 * not come in time, or the session closed while it was outstanding. (Throttled, queue full, not bound and
 * a refusal are definite: the carrier did not take it.)
 */
export function mayHaveReachedCarrier(error: unknown): boolean {
  return (
    !(error instanceof CarrierError) ||
    (error.kind === 'busy' && (error.code === 'RESPONSE_TIMEOUT' || error.code === 'SESSION_LOST'))
  );
}

export interface CarrierPort {
  /**
   * Hands every part to the carrier; resolves with the carrier's message id of each, in part order.
   * Throws CarrierError. A part answered already and a later one refused as busy: the whole message is
   * offered again later, and the carrier replaces the earlier copy of the part (same reference).
   */
  submit(message: OutboundMessage): Promise<string[]>;
  /**
   * Receipts as they arrive. The carrier is answered only after `handle` resolves, so a receipt is never
   * lost; when it rejects, the carrier is asked to send the receipt again later. One handler.
   */
  onReceipt(handle: (receipt: Receipt) => Promise<void>): void;
  /**
   * Mobile-originated messages (or parts) as they arrive, answered only after `handle` resolves (a
   * rejection asks the carrier to send it again later; a carrier may also send one again on its own, so
   * `handle` must be idempotent). One handler; without one, the carrier is asked to keep them.
   */
  onInbound(handle: (message: InboundMessage) => Promise<void>): void;
  start(): Promise<void>;
  stop(): Promise<void>;
}
