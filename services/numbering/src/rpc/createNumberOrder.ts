import { randomUUID } from 'node:crypto';
import { onceForRequest, type FieldViolation, type RpcContext, type Transaction } from '@parley/kit';
import type { numberingV1 } from '@parley/proto';
import { QUEUES, SUPPLIER_RETRIES, type NumberingDeps } from '../deps';
import {
  fromSupplier,
  invalidRequest,
  numberAlreadyOwned,
  numberInQuarantine,
  numberNotAvailable,
  numberNotOffered,
  reservationExpired,
} from '../domain/errors';
import { RESERVATION_SECONDS, validE164 } from '../domain/numbers';
import { SupplierError } from '../domain/supplier';
import type { OrderRow } from '../db/schema';
import { orderMessage } from './mappers';

/**
 * Buys a number: checks it may be bought by this tenant, claims it in the directory, records a pending
 * order and, in the same transaction, the job that places and follows it at the supplier. A repeated
 * request (same request id) answers with the same order; a concurrent or later request for a number the
 * tenant already has a pending order for gets that order too, so nothing is bought twice.
 */
export function makeCreateNumberOrder(
  deps: Pick<NumberingDeps, 'withTenant' | 'orders' | 'numbers' | 'jobs' | 'supplier'>,
) {
  return async ({
    request,
    caller,
    requestId,
  }: RpcContext<numberingV1.CreateNumberOrderRequest>): Promise<numberingV1.CreateNumberOrderResponse> => {
    const violations: FieldViolation[] = [];
    const e164 = validE164(request.phoneNumber, 'phoneNumber', violations);
    if (request.accountId !== '' && !/^[A-Za-z0-9_-]{1,64}$/.test(request.accountId)) {
      violations.push({ field: 'accountId', description: 'an account id' });
    }
    if (!e164 || violations.length > 0) throw invalidRequest(violations);
    const tenantId = caller.tenantId;
    const order = await deps.withTenant(tenantId, async (tx) => {
      const { result } = await onceForRequest(
        tx,
        { requestId, operation: 'CreateNumberOrder' },
        async () => (await place(tx)).id,
      );
      return (await deps.orders.find(tx, result))!;
    });
    return { order: orderMessage(order) };

    async function place(tx: Transaction): Promise<OrderRow> {
      const now = new Date();
      const pending = await deps.orders.pendingFor(tx, e164!);
      if (pending) return pending;
      const own = await deps.numbers.findLive(tx, e164!);
      if (own?.status === 'active') throw numberAlreadyOwned();
      const holder = await deps.numbers.holder(tx, e164!);
      if (holder && holder.tenantId !== tenantId && holder.state !== 'quarantined')
        throw numberNotAvailable();
      if (holder?.state === 'quarantined' && holder.quarantineUntil && holder.quarantineUntil > now) {
        const mayReclaim = holder.tenantId === tenantId && holder.reclaimUntil && holder.reclaimUntil > now;
        if (!mayReclaim) throw numberInQuarantine();
      }
      const reclaiming = holder?.state === 'quarantined' && holder.tenantId === tenantId && own !== undefined;
      const reservation = await deps.orders.reservationFor(tx, e164!);
      const offer = await deps.orders.offer(tx, e164!, now);
      if (!reclaiming && !offer) throw reservation ? reservationExpired() : numberNotOffered();
      if (!(await deps.numbers.claim(tx, tenantId, e164!, 'ordering'))) {
        // Someone claimed it since we looked: our own racing request (then its order is ours to return)
        // or another buyer.
        const raced = await deps.orders.pendingFor(tx, e164!);
        if (raced) return raced;
        throw numberNotAvailable();
      }
      const id = randomUUID();
      const held = reservation && reservation.expiresAt > now ? reservation : await hold(tx, id);
      const row = await deps.orders.insert(tx, {
        id,
        tenantId,
        e164: e164!,
        accountId: request.accountId || null,
        status: 'pending',
        reservationId: held?.id ?? null,
      });
      await deps.jobs.send(QUEUES.followOrder, { orderId: row.id }, { tx, tenantId, ...SUPPLIER_RETRIES });
      return row;
    }

    /**
     * Holds the number at the supplier before the order is accepted, so a number another buyer took since
     * the search is a 409 now rather than a failed order later. A supplier that is down does not stop the
     * purchase: the order is kept and placed by its job once the supplier is back.
     */
    async function hold(tx: Transaction, orderId: string) {
      try {
        const reservation = await deps.supplier.reserve([e164!], RESERVATION_SECONDS, `order:${orderId}`);
        return await deps.orders.insertReservation(tx, {
          id: randomUUID(),
          tenantId,
          phoneNumbers: [e164!],
          supplierReservationId: reservation.id,
          expiresAt: reservation.expiresAt,
        });
      } catch (error) {
        if (error instanceof SupplierError && error.kind === 'unavailable') return undefined;
        throw fromSupplier(error);
      }
    }
  };
}
