// Pure rules about port-ins: what a request must hold, and when it may still be cancelled.
import type { FieldViolation } from '@parley/kit';
import type { PortInStatus } from '../db/schema';
import type { SupplierPortInStatus } from './supplier';
import { invalidRequest, portInNotCancellable } from './errors';
import { validE164 } from './numbers';

/** Cancelling is refused this close to the confirmed (FOC) date. */
export const CANCEL_CUTOFF_MS = 48 * 60 * 60 * 1000;

export const FINAL_PORT_IN_STATES: PortInStatus[] = ['ported', 'cancelled', 'exception'];

export interface PortInInput {
  phoneNumbers: string[];
  losingCarrier: string;
  accountNumber: string;
  pin: string;
  authorizedName: string;
  address: {
    line1: string;
    line2: string;
    city: string;
    region: string;
    postalCode: string;
    country: string;
  };
  requestedDate?: Date | undefined;
  documents: { kind: string; fileName: string; sizeBytes: string | number }[];
  accountId: string;
}

const bounded = (
  value: string,
  field: string,
  max: number,
  violations: FieldViolation[],
  required = true,
) => {
  const trimmed = value.trim();
  if (required && trimmed === '') violations.push({ field, description: 'required' });
  else if (trimmed.length > max) violations.push({ field, description: `at most ${max} characters` });
  return trimmed;
};

/** Checks every field of a port-in request, naming each one that is wrong, and normalises it. */
export function validatePortIn(input: PortInInput) {
  const violations: FieldViolation[] = [];
  if (input.phoneNumbers.length < 1 || input.phoneNumbers.length > 50) {
    violations.push({ field: 'phoneNumbers', description: '1 to 50 numbers' });
  }
  const phoneNumbers = [
    ...new Set(input.phoneNumbers.map((n, i) => validE164(n, `phoneNumbers[${i}]`, violations) ?? n)),
  ];
  const address = {
    line1: bounded(input.address.line1, 'address.line1', 200, violations),
    line2: bounded(input.address.line2, 'address.line2', 200, violations, false),
    city: bounded(input.address.city, 'address.city', 100, violations),
    region: bounded(input.address.region, 'address.region', 100, violations, false),
    postalCode: bounded(input.address.postalCode, 'address.postalCode', 20, violations),
    country: input.address.country.trim().toUpperCase(),
  };
  if (!/^[A-Z]{2}$/.test(address.country)) {
    violations.push({ field: 'address.country', description: 'an ISO 3166-1 alpha-2 code' });
  }
  if (!input.requestedDate || Number.isNaN(input.requestedDate.getTime())) {
    violations.push({ field: 'requestedDate', description: 'a date' });
  }
  if (input.pin !== '' && !/^[0-9A-Za-z]{1,20}$/.test(input.pin)) {
    violations.push({ field: 'pin', description: 'up to 20 letters or digits' });
  }
  if (input.documents.length > 20) violations.push({ field: 'documents', description: 'at most 20' });
  const documents = input.documents.map((doc, i) => ({
    kind: bounded(doc.kind, `documents[${i}].kind`, 50, violations),
    fileName: bounded(doc.fileName, `documents[${i}].fileName`, 200, violations),
    sizeBytes: Number(doc.sizeBytes),
  }));
  if (input.accountId !== '' && !/^[A-Za-z0-9_-]{1,64}$/.test(input.accountId)) {
    violations.push({ field: 'accountId', description: 'an account id' });
  }
  const result = {
    phoneNumbers,
    losingCarrier: bounded(input.losingCarrier, 'losingCarrier', 100, violations),
    accountNumber: bounded(input.accountNumber, 'accountNumber', 50, violations),
    pin: input.pin,
    authorizedName: bounded(input.authorizedName, 'authorizedName', 200, violations),
    address,
    requestedDate: input.requestedDate ?? new Date(0),
    documents,
    accountId: input.accountId === '' ? null : input.accountId,
  };
  if (violations.length > 0) throw invalidRequest(violations);
  return result;
}

/** Throws unless a port-in in `status` with FOC date `focDate` may be cancelled at `now`. */
export function checkCancellable(status: PortInStatus, focDate: Date | null, now: Date): void {
  if (status === 'ported' || status === 'activating') throw portInNotCancellable(`it is ${status}`);
  if (status === 'cancelled') return;
  if (focDate && focDate.getTime() - now.getTime() < CANCEL_CUTOFF_MS) {
    throw portInNotCancellable('the confirmed port date is less than 48 hours away');
  }
}

/** Our state for the supplier's. */
export function portInStatusOf(status: SupplierPortInStatus): PortInStatus {
  return status;
}
