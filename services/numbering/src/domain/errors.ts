// The numbering service's errors: the kit's closed set with this service's stable reasons.
import {
  alreadyExists,
  failedPrecondition,
  invalidArgument,
  notFound,
  unavailable,
  type FieldViolation,
} from '@parley/kit';
import { SupplierError } from './supplier';

export { invalidArgument, notFound, alreadyExists, failedPrecondition };

export const invalidRequest = (violations: FieldViolation[]) =>
  invalidArgument(
    'NUMBERING_INVALID_REQUEST',
    violations.map((v) => `${v.field}: ${v.description}`).join('; '),
    violations,
  );
export const countryUnknown = () =>
  invalidArgument('COUNTRY_UNKNOWN', 'country is not a country numbers are offered in', [
    { field: 'country', description: 'an ISO 3166-1 alpha-2 code the supplier serves, e.g. US' },
  ]);
export const patternMalformed = () =>
  invalidArgument('PATTERN_MALFORMED', 'contains must be digits and * wildcards', [
    { field: 'contains', description: '1-15 digits or *, e.g. 55 or 4*5' },
  ]);
export const numberNotAvailable = () =>
  alreadyExists('NUMBER_NOT_AVAILABLE', 'the number is no longer available; search again');
export const numberAlreadyOwned = () =>
  alreadyExists('NUMBER_ALREADY_OWNED', 'the tenant already owns this number');
export const numberInQuarantine = () =>
  alreadyExists('NUMBER_IN_QUARANTINE', 'the number was released recently and is in quarantine');
export const capabilityMissing = (capability: string, field: string) =>
  failedPrecondition('CAPABILITY_MISSING', `${field} needs the number to have the ${capability} capability`);
export const reservationExpired = () =>
  failedPrecondition('RESERVATION_EXPIRED', 'the reservation has expired; reserve or buy the number again');
export const portInNotCancellable = (why: string) =>
  failedPrecondition('PORT_IN_NOT_CANCELLABLE', `the port-in cannot be cancelled: ${why}`);
export const portInNotSubmittable = (status: string) =>
  failedPrecondition(
    'PORT_IN_NOT_SUBMITTABLE',
    `the port-in is ${status}; create a new one with corrected data`,
  );
export const numberNotOffered = () =>
  failedPrecondition(
    'NUMBER_NOT_SEARCHED',
    'buy a number found by a search or held by a reservation of this tenant; search first',
  );
export const currencyNotSupported = (currency: string) =>
  failedPrecondition('CURRENCY_NOT_SUPPORTED', `no exchange rate is configured into ${currency}`);
export const numberNotFound = () => notFound('NUMBER_NOT_FOUND', 'no such number in this tenant');
export const orderNotFound = () => notFound('NUMBER_ORDER_NOT_FOUND', 'no such order in this tenant');
export const portInNotFound = () => notFound('PORT_IN_NOT_FOUND', 'no such port-in in this tenant');
export const numberNotActive = () =>
  failedPrecondition('NUMBER_NOT_ACTIVE', 'the number is not active (released or in quarantine)');
export const supplierUnavailable = (retryAfterSeconds?: number) =>
  unavailable(
    'SUPPLIER_UNAVAILABLE',
    'the number supplier is unavailable; retry later',
    retryAfterSeconds ?? DEFAULT_SUPPLIER_RETRY_SECONDS,
  );

/** What a client is told to wait when the supplier said nothing. */
export const DEFAULT_SUPPLIER_RETRY_SECONDS = 30;

/**
 * The one mapping from an adapter's failure to the service's errors; the supplier's own codes and
 * messages never reach a client.
 */
export function fromSupplier(error: unknown): unknown {
  if (!(error instanceof SupplierError)) return error;
  switch (error.kind) {
    case 'unavailable':
      return supplierUnavailable(error.retryAfterSeconds);
    case 'number_unavailable':
      return numberNotAvailable();
    case 'reservation_expired':
      return reservationExpired();
    case 'not_found':
      return numberNotAvailable();
    case 'rejected':
      return failedPrecondition('SUPPLIER_REJECTED', 'the number supplier refused the request');
  }
}
