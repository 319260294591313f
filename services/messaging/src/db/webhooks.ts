import { and, desc, eq, gt, inArray, isNull, lt, or } from 'drizzle-orm';
import { olderThan, toPage, withTenant, type Cursor, type Database, type Transaction } from '@parley/kit';
import type { WebhookDeliveryStatus } from '../domain/webhooks';
import {
  disabledWebhookEndpoints,
  webhookDeliveries,
  webhookSecrets,
  type WebhookDeliveryRow,
  type WebhookSecretRow,
} from './schema';

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Signing secrets, disabled endpoints and deliveries of webhooks out (every query inside a tenant transaction). */
export class WebhookRepository {
  constructor(private readonly db: Database) {}

  async insertSecret(tx: Transaction, values: typeof webhookSecrets.$inferInsert): Promise<WebhookSecretRow> {
    const [row] = await tx.insert(webhookSecrets).values(values).returning();
    return row!;
  }

  async findSecret(tx: Transaction, id: string, forUpdate = false): Promise<WebhookSecretRow | undefined> {
    if (!uuid.test(id)) return undefined;
    const query = tx.select().from(webhookSecrets).where(eq(webhookSecrets.id, id));
    const [row] = forUpdate ? await query.for('update') : await query;
    return row;
  }

  /** The tenant's secrets, newest first; only those still signing at `now` unless `includeExpired`. */
  async secrets(tx: Transaction, now: Date, includeExpired = false): Promise<WebhookSecretRow[]> {
    return tx
      .select()
      .from(webhookSecrets)
      .where(
        includeExpired ? undefined : or(isNull(webhookSecrets.expiresAt), gt(webhookSecrets.expiresAt, now)),
      )
      .orderBy(desc(webhookSecrets.createdAt), desc(webhookSecrets.id));
  }

  async retireSecret(
    tx: Transaction,
    id: string,
    retiredAt: Date,
    expiresAt: Date,
  ): Promise<WebhookSecretRow> {
    const [row] = await tx
      .update(webhookSecrets)
      .set({ retiredAt, expiresAt })
      .where(eq(webhookSecrets.id, id))
      .returning();
    return row!;
  }

  async isDisabled(tx: Transaction, url: string): Promise<boolean> {
    const [row] = await tx
      .select({ url: disabledWebhookEndpoints.url })
      .from(disabledWebhookEndpoints)
      .where(eq(disabledWebhookEndpoints.url, url));
    return row !== undefined;
  }

  async disable(tx: Transaction, tenantId: string, url: string): Promise<void> {
    await tx.insert(disabledWebhookEndpoints).values({ tenantId, url }).onConflictDoNothing();
  }

  async enable(tx: Transaction, url: string): Promise<void> {
    await tx.delete(disabledWebhookEndpoints).where(eq(disabledWebhookEndpoints.url, url));
  }

  async insertDelivery(
    tx: Transaction,
    values: typeof webhookDeliveries.$inferInsert,
  ): Promise<WebhookDeliveryRow> {
    const [row] = await tx.insert(webhookDeliveries).values(values).returning();
    return row!;
  }

  async findDelivery(
    tx: Transaction,
    id: string,
    forUpdate = false,
  ): Promise<WebhookDeliveryRow | undefined> {
    if (!uuid.test(id)) return undefined;
    const query = tx.select().from(webhookDeliveries).where(eq(webhookDeliveries.id, id));
    const [row] = forUpdate ? await query.for('update') : await query;
    return row;
  }

  async updateDelivery(
    tx: Transaction,
    id: string,
    values: Partial<typeof webhookDeliveries.$inferInsert>,
  ): Promise<WebhookDeliveryRow> {
    const [row] = await tx
      .update(webhookDeliveries)
      .set({ ...values, updatedAt: new Date() })
      .where(eq(webhookDeliveries.id, id))
      .returning();
    return row!;
  }

  /** Deletes the tenant's finished deliveries last changed before `cutoff`; answers how many. */
  async deleteFinishedBefore(tx: Transaction, cutoff: Date): Promise<number> {
    const deleted = await tx
      .delete(webhookDeliveries)
      .where(
        and(
          inArray(webhookDeliveries.status, ['delivered', 'failed', 'disabled']),
          lt(webhookDeliveries.updatedAt, cutoff),
        ),
      )
      .returning({ id: webhookDeliveries.id });
    return deleted.length;
  }

  async hasDeliveries(tx: Transaction): Promise<boolean> {
    const [row] = await tx.select({ id: webhookDeliveries.id }).from(webhookDeliveries).limit(1);
    return row !== undefined;
  }

  /** One page of the tenant's deliveries, newest first, in one status or all. */
  async listDeliveries(
    tenantId: string,
    status: WebhookDeliveryStatus | undefined,
    size: number,
    after: Cursor | undefined,
  ) {
    const rows = await withTenant(this.db, tenantId, (tx) =>
      tx
        .select()
        .from(webhookDeliveries)
        .where(
          and(
            status ? eq(webhookDeliveries.status, status) : undefined,
            olderThan(webhookDeliveries.createdAt, webhookDeliveries.id, after),
          ),
        )
        .orderBy(desc(webhookDeliveries.createdAt), desc(webhookDeliveries.id))
        .limit(size + 1),
    );
    return toPage<WebhookDeliveryRow>(rows, size, (row) => ({ at: row.createdAt, id: row.id }));
  }
}
