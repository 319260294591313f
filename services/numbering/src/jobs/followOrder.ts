import type { JobContext, Transaction } from '@parley/kit';
import { FOLLOW_SECONDS, QUEUES, type NumberingDeps } from '../deps';
import { defaultThroughputClass } from '../domain/numbers';
import { SupplierError, type SupplierOrder } from '../domain/supplier';
import { publishAssigned } from '../events/published';
import type { OrderRow } from '../db/schema';

/**
 * Follows a number order: places it with the supplier (the order id is the supplier's reference, so a
 * repeated attempt is the same order), then looks at it every FOLLOW_SECONDS until it completes or fails.
 * A supplier that is down fails the attempt, and pg-boss retries it with backoff for as long as the queue
 * allows; the order stays pending meanwhile.
 */
export function makeFollowOrder(deps: NumberingDeps) {
  return async (job: JobContext<{ orderId: string }>): Promise<void> => {
    const tenantId = job.tenantId!;
    const order = await deps.withTenant(tenantId, (tx) => deps.orders.find(tx, job.data.orderId));
    if (!order || order.status !== 'pending') return;
    let supplierOrder: SupplierOrder;
    try {
      if (order.supplierOrderId) {
        supplierOrder = await deps.supplier.getOrder(order.supplierOrderId);
      } else {
        const reservation = order.reservationId
          ? await deps.withTenant(tenantId, (tx) => deps.orders.findReservation(tx, order.reservationId!))
          : undefined;
        supplierOrder = await deps.supplier.order(
          [order.e164],
          order.id,
          reservation && reservation.expiresAt > new Date() ? reservation.supplierReservationId : undefined,
        );
        await deps.withTenant(tenantId, (tx) =>
          deps.orders.update(tx, order.id, { supplierOrderId: supplierOrder.id }),
        );
      }
    } catch (error) {
      if (error instanceof SupplierError && error.kind !== 'unavailable') {
        await fail(deps, tenantId, order, error.kind === 'not_found' ? 'number_unavailable' : error.kind);
        return;
      }
      throw error; // unavailable: retried with backoff
    }
    if (supplierOrder.status === 'pending') {
      await deps.jobs.send(
        QUEUES.followOrder,
        { orderId: order.id },
        { tenantId, startAfter: FOLLOW_SECONDS },
      );
      return;
    }
    if (supplierOrder.status === 'failed') {
      await fail(deps, tenantId, order, supplierOrder.failureReason ?? 'carrier_rejected');
      return;
    }
    // Its traffic is pointed at Parley before it is shown active (idempotent; a supplier that is down
    // fails the attempt and the job retries).
    await routeToParley(deps, order.e164);
    await activate(deps, tenantId, order.id);
  };
}

/** Tells the supplier to deliver the number's messages and calls to Parley (nothing to say: nothing sent). */
export async function routeToParley(deps: Pick<NumberingDeps, 'supplier' | 'routing'>, e164: string) {
  if (!deps.routing.messagingRoute && !deps.routing.voiceRoute) return;
  await deps.supplier.configureRouting(e164, deps.routing);
}

async function fail(deps: NumberingDeps, tenantId: string, order: OrderRow, reason: string) {
  await deps.withTenant(tenantId, async (tx) => {
    const current = await deps.orders.find(tx, order.id, true);
    if (!current || current.status !== 'pending') return;
    await deps.orders.update(tx, order.id, {
      status: 'failed',
      failureReason: reason,
      completedAt: new Date(),
    });
    await deps.numbers.unclaim(tx, order.e164);
  });
}

/** The order completed at the supplier: the number becomes the tenant's, and billing hears of it. */
async function activate(deps: NumberingDeps, tenantId: string, orderId: string) {
  const e164 = await deps.withTenant(tenantId, async (tx: Transaction) => {
    const order = await deps.orders.find(tx, orderId, true);
    if (!order || order.status !== 'pending') return undefined;
    const offer = await deps.orders.offer(tx, order.e164, order.createdAt);
    const previous = await deps.numbers.findLive(tx, order.e164);
    const now = new Date();
    const details = offer ?? previous;
    if (!details) throw new Error('an order without an offer or a previous number');
    const values = {
      tenantId,
      e164: order.e164,
      country: details.country,
      type: details.type,
      capabilities: details.capabilities,
      locality: details.locality,
      region: details.region,
      accountId: order.accountId,
      currency: details.currency,
      setupMinor: offer ? offer.setupMinor : 0n,
      monthlyMinor: details.monthlyMinor,
      source: 'purchase' as const,
      sourceId: order.id,
      status: 'active' as const,
      assignedAt: now,
      releasedAt: null,
      quarantineUntil: null,
      reclaimUntil: null,
    };
    // A number taken back from quarantine is the same row, active again.
    const row = previous
      ? await deps.numbers.update(tx, previous.id, values)
      : await deps.numbers.insert(tx, { ...values, throughputClass: defaultThroughputClass(details.type) });
    await deps.numbers.setHolder(tx, order.e164, {
      state: 'active',
      numberId: row.id,
      quarantineUntil: null,
      reclaimUntil: null,
    });
    await deps.orders.update(tx, order.id, { status: 'active', numberId: row.id, completedAt: now });
    await publishAssigned(deps.outbox, tx, row);
    return order.e164;
  });
  if (e164) deps.cache.invalidate(e164);
}
