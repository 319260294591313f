import { and, desc, eq, gt, lt, sql } from 'drizzle-orm';
import type { Transaction } from '@parley/kit';
import {
  numberOrders,
  offers,
  reservations,
  type OfferRow,
  type OrderRow,
  type ReservationRow,
} from './schema';
import { isUuid } from './numbers';

/** How long a search result can be bought at the price it showed. */
export const OFFER_TTL_MS = 24 * 60 * 60 * 1000;

/** Orders, the offers a tenant was shown, and its reservations. */
export class OrderRepository {
  async find(tx: Transaction, id: string, forUpdate = false): Promise<OrderRow | undefined> {
    if (!isUuid(id)) return undefined;
    const query = tx.select().from(numberOrders).where(eq(numberOrders.id, id));
    const [row] = forUpdate ? await query.for('update') : await query;
    return row;
  }

  async pendingFor(tx: Transaction, e164: string): Promise<OrderRow | undefined> {
    const [row] = await tx
      .select()
      .from(numberOrders)
      .where(and(eq(numberOrders.e164, e164), eq(numberOrders.status, 'pending')));
    return row;
  }

  async insert(tx: Transaction, values: typeof numberOrders.$inferInsert): Promise<OrderRow> {
    const [row] = await tx.insert(numberOrders).values(values).returning();
    return row!;
  }

  async update(
    tx: Transaction,
    id: string,
    values: Partial<typeof numberOrders.$inferInsert>,
  ): Promise<OrderRow> {
    const [row] = await tx.update(numberOrders).set(values).where(eq(numberOrders.id, id)).returning();
    return row!;
  }

  /** Remembers what a search showed the tenant, and forgets what it showed longer ago than OFFER_TTL_MS. */
  async recordOffers(tx: Transaction, rows: (typeof offers.$inferInsert)[]): Promise<void> {
    await tx.delete(offers).where(lt(offers.seenAt, new Date(Date.now() - OFFER_TTL_MS)));
    if (rows.length === 0) return;
    await tx
      .insert(offers)
      .values(rows)
      .onConflictDoUpdate({
        target: [offers.tenantId, offers.e164],
        set: {
          currency: sql`excluded.currency`,
          setupMinor: sql`excluded.setup_minor`,
          monthlyMinor: sql`excluded.monthly_minor`,
          capabilities: sql`excluded.capabilities`,
          seenAt: sql`now()`,
        },
      });
  }

  /** The offer a tenant may still buy at (seen within OFFER_TTL_MS). */
  async offer(tx: Transaction, e164: string, now: Date): Promise<OfferRow | undefined> {
    const [row] = await tx
      .select()
      .from(offers)
      .where(and(eq(offers.e164, e164), gt(offers.seenAt, new Date(now.getTime() - OFFER_TTL_MS))));
    return row;
  }

  async insertReservation(
    tx: Transaction,
    values: typeof reservations.$inferInsert,
  ): Promise<ReservationRow> {
    const [row] = await tx.insert(reservations).values(values).returning();
    return row!;
  }

  async findReservation(tx: Transaction, id: string): Promise<ReservationRow | undefined> {
    const [row] = await tx.select().from(reservations).where(eq(reservations.id, id));
    return row;
  }

  /** The tenant's latest reservation holding the number that no order has used yet, expired or not. */
  async reservationFor(tx: Transaction, e164: string): Promise<ReservationRow | undefined> {
    const [row] = await tx
      .select()
      .from(reservations)
      .where(
        sql`${e164} = any(${reservations.phoneNumbers})
            and not exists (select 1 from number_orders o
                             where o.reservation_id = ${reservations.id})`,
      )
      .orderBy(desc(reservations.expiresAt))
      .limit(1);
    return row;
  }
}
