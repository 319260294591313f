import { randomUUID } from 'node:crypto';
import { onceForRequest, type FieldViolation, type RpcContext } from '@parley/kit';
import type { numberingV1 } from '@parley/proto';
import type { NumberingDeps } from '../deps';
import {
  fromSupplier,
  invalidRequest,
  numberInQuarantine,
  numberNotAvailable,
  numberNotOffered,
} from '../domain/errors';
import { MAX_RESERVATION, RESERVATION_SECONDS, validE164 } from '../domain/numbers';
import { reservationMessage } from './mappers';

/** Holds up to 10 numbers the tenant found, for 30 minutes, at the supplier. */
export function makeReserveNumbers(
  deps: Pick<NumberingDeps, 'withTenant' | 'supplier' | 'orders' | 'numbers'>,
) {
  return async ({
    request,
    caller,
    requestId,
  }: RpcContext<numberingV1.ReserveNumbersRequest>): Promise<numberingV1.ReserveNumbersResponse> => {
    const violations: FieldViolation[] = [];
    if (request.phoneNumbers.length < 1 || request.phoneNumbers.length > MAX_RESERVATION) {
      violations.push({ field: 'phoneNumbers', description: `1 to ${MAX_RESERVATION} numbers` });
    }
    const phoneNumbers = [
      ...new Set(request.phoneNumbers.map((n, i) => validE164(n, `phoneNumbers[${i}]`, violations) ?? n)),
    ];
    if (violations.length > 0) throw invalidRequest(violations);
    const now = new Date();
    await deps.withTenant(caller.tenantId, async (tx) => {
      for (const e164 of phoneNumbers) {
        if (!(await deps.orders.offer(tx, e164, now))) throw numberNotOffered();
        const holder = await deps.numbers.holder(tx, e164);
        if (holder?.state === 'quarantined' && holder.quarantineUntil && holder.quarantineUntil > now) {
          throw numberInQuarantine();
        }
        if (holder && holder.state !== 'quarantined') throw numberNotAvailable();
      }
    });
    const id = randomUUID();
    const held = await deps.supplier
      .reserve(phoneNumbers, RESERVATION_SECONDS, requestId ?? id)
      .catch((error: unknown) => {
        throw fromSupplier(error);
      });
    // A retried request (same request id) answers with the reservation it made the first time.
    const stored = await deps.withTenant(caller.tenantId, async (tx) => {
      const { result } = await onceForRequest(tx, { requestId, operation: 'ReserveNumbers' }, async () => {
        const row = await deps.orders.insertReservation(tx, {
          id,
          tenantId: caller.tenantId,
          phoneNumbers,
          supplierReservationId: held.id,
          expiresAt: held.expiresAt,
        });
        return { id: row.id, expiresAt: row.expiresAt.toISOString(), createdAt: row.createdAt.toISOString() };
      });
      return result;
    });
    const row = {
      id: stored.id,
      tenantId: caller.tenantId,
      phoneNumbers,
      supplierReservationId: held.id,
      expiresAt: new Date(stored.expiresAt),
      createdAt: new Date(stored.createdAt),
    };
    return { reservation: reservationMessage(row) };
  };
}
