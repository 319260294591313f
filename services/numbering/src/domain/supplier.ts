/**
 * What a number supplier (an upstream carrier) does for numbering: search its inventory, hold numbers,
 * order them, release them, route their traffic, and port numbers in from another carrier. The carrier
 * simulator's adapter implements it (`src/supplier/carrierSim.ts`); a real supplier's adapter implements
 * the same interface and is chosen in `app.ts`, without touching the domain.
 *
 * Adapters never let their transport leak: every failure is a `SupplierError` with one of the kinds
 * below, which the domain maps to the service's own errors.
 */

export type NumberType = 'local' | 'mobile' | 'toll_free';
export type Capability = 'sms' | 'mms' | 'voice';

/** A decimal amount in a currency, as the supplier quotes it (`"1.15"`, `"USD"`); never a float. */
export interface SupplierPrice {
  amount: string;
  currency: string;
}

export interface SupplierSearch {
  /** ISO 3166-1 alpha-2, upper case. */
  country: string;
  areaCode?: string;
  type?: NumberType;
  /** Every listed capability is required. */
  capabilities: Capability[];
  /** Digits and `*` (any one digit), matched anywhere in the national number. */
  contains?: string;
  /** 1-100. */
  limit: number;
}

export interface SupplierNumber {
  /** E.164, `+` and digits. */
  phoneNumber: string;
  country: string;
  locality: string;
  region: string;
  areaCode: string;
  type: NumberType;
  capabilities: Capability[];
  setupPrice: SupplierPrice;
  monthlyPrice: SupplierPrice;
}

export interface SupplierReservation {
  id: string;
  phoneNumbers: string[];
  expiresAt: Date;
}

export type SupplierOrderStatus = 'pending' | 'completed' | 'failed';

export interface SupplierOrder {
  id: string;
  status: SupplierOrderStatus;
  phoneNumbers: string[];
  /** Set when failed: a stable lower_snake reason from the supplier (`carrier_rejected`, ...). */
  failureReason?: string;
}

export interface SupplierRouting {
  /** Where the carrier delivers the number's messages (an SMPP system id / route name). */
  messagingRoute?: string;
  /** Where the carrier delivers the number's calls (a SIP URI or trunk name). */
  voiceRoute?: string;
}

export type SupplierPortInStatus =
  'submitted' | 'exception' | 'foc_date_confirmed' | 'activating' | 'ported' | 'cancelled';

export interface SupplierPortInRequest {
  phoneNumbers: string[];
  losingCarrier: string;
  accountNumber: string;
  pin?: string;
  authorizedName: string;
  address: {
    line1: string;
    line2?: string;
    city: string;
    region?: string;
    postalCode: string;
    country: string;
  };
  /** Requested port date (the supplier confirms its own FOC date). */
  requestedDate: Date;
  /** Our own reference, echoed back; the supplier treats a repeated reference as the same request. */
  reference: string;
}

export interface SupplierPortIn {
  id: string;
  status: SupplierPortInStatus;
  phoneNumbers: string[];
  /** Firm order commitment date, once confirmed. */
  focDate?: Date;
  /** Set in `exception`: what the losing carrier found wrong (`pin_mismatch`, `name_mismatch`, ...). */
  exceptionReason?: string;
}

export type SupplierErrorKind =
  /** The supplier cannot be reached, timed out or said it is down; `retryAfterSeconds` when it said so. */
  | 'unavailable'
  /** The number is no longer available (taken by another buyer, or never was). */
  | 'number_unavailable'
  /** A reservation expired or is unknown. */
  | 'reservation_expired'
  /** The supplier does not know the order, port-in or number. */
  | 'not_found'
  /** The supplier refused the request as malformed or not allowed (a state it cannot leave, ...). */
  | 'rejected';

export class SupplierError extends Error {
  constructor(
    readonly kind: SupplierErrorKind,
    /** The supplier's own lower_snake code, for logs and reason mapping; never shown raw to a client. */
    readonly code: string,
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'SupplierError';
  }
}

/** One upstream supplier. All methods are safe to retry with the same `reference`/idempotency key. */
export interface NumberSupplier {
  search(query: SupplierSearch): Promise<SupplierNumber[]>;
  /** Holds numbers for `ttlSeconds`; all or nothing. */
  reserve(phoneNumbers: string[], ttlSeconds: number, reference: string): Promise<SupplierReservation>;
  /** Places an order; it completes (or fails) asynchronously. `reference` makes a retry the same order. */
  order(phoneNumbers: string[], reference: string, reservationId?: string): Promise<SupplierOrder>;
  getOrder(orderId: string): Promise<SupplierOrder>;
  /** Gives a number back to the supplier. Releasing a number already released succeeds. */
  release(phoneNumber: string): Promise<void>;
  configureRouting(phoneNumber: string, routing: SupplierRouting): Promise<void>;
  submitPortIn(request: SupplierPortInRequest): Promise<SupplierPortIn>;
  getPortIn(portInId: string): Promise<SupplierPortIn>;
  /** Refused (`rejected`) once the port is activating or done. */
  cancelPortIn(portInId: string): Promise<SupplierPortIn>;
}
