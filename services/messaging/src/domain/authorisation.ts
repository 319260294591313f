// Whether a tenant may send a message now. Billing will answer this (a prepaid tenant whose balance cannot
// cover the send is refused with a stable code); until billing offers the call, every send is allowed.

export interface AuthorisationRequest {
  tenantId: string;
  accountId: string | null;
  /** sms or mms. */
  kind: 'sms' | 'mms';
  segments: number;
  destinationCountry: string;
  senderClass: string;
}

export type AuthorisationAnswer = { allowed: true } | { allowed: false; reason: string; message: string };

/** The port billing's authorisation call will stand behind. */
export interface Authorisation {
  authorise(request: AuthorisationRequest): Promise<AuthorisationAnswer>;
}

/**
 * Allows every send: the stand-in until billing's authorisation RPC exists. Replace it in app.ts with an
 * adapter calling billing; nothing else changes.
 */
export const allowEverySendUntilBillingAuthorises: Authorisation = {
  authorise: () => Promise.resolve({ allowed: true }),
};
