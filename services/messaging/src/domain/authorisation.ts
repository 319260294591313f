// Whether a tenant may send a message now. Billing answers it (services/messaging/src/billingAuthorisation.ts):
// a prepaid tenant whose balance cannot cover the send is refused with INSUFFICIENT_BALANCE.

export interface AuthorisationRequest {
  tenantId: string;
  accountId: string | null;
  /** sms or mms. */
  kind: 'sms' | 'mms';
  segments: number;
  destinationCountry: string;
  senderClass: string;
  /** The id the message will have: billing releases the send's reservation when it rates the message. */
  reference: string;
}

export type AuthorisationAnswer =
  { allowed: true; reservationId: string } | { allowed: false; reason: string; message: string };

/** The port billing's authorisation call stands behind. */
export interface Authorisation {
  authorise(request: AuthorisationRequest): Promise<AuthorisationAnswer>;
  /** Gives back the reservation of a send that was authorised and then not queued. Never throws. */
  release(tenantId: string, reservationId: string): Promise<void>;
}

/**
 * Allows every send: used when BILLING_ADDR is not set (messaging run without billing, as in its own
 * tests); with billing, app.ts uses the adapter that asks it.
 */
export const allowEverySend: Authorisation = {
  authorise: () => Promise.resolve({ allowed: true, reservationId: '' }),
  release: () => Promise.resolve(),
};
