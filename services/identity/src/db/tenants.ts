import { and, desc, eq, isNull } from 'drizzle-orm';
import {
  olderThan,
  toPage,
  withTenant,
  type Cursor,
  type Database,
  type Outbox,
  type Transaction,
} from '@parley/kit';
import { identityV1 } from '@parley/proto';
import { tenants, type TenantRow } from './schema';
import { toProtoTenant, type NewTenant, type TenancyMode, type Jurisdiction } from '../domain/tenant';

export interface Tenant extends NewTenant {
  status: string;
  realm: string;
  createdAt: Date;
  closedAt: Date | null;
}

export const PLATFORM_TENANT = 'platform';

function fromRow(row: TenantRow): Tenant {
  return {
    id: row.id,
    name: row.name,
    tenancyMode: row.tenancyMode as TenancyMode,
    jurisdiction: row.jurisdiction as Jurisdiction,
    minimumAge: row.minimumAge,
    status: row.status,
    realm: row.realm,
    createdAt: row.createdAt,
    closedAt: row.closedAt,
  };
}

export class TenantRepository {
  constructor(
    private readonly db: Database,
    private readonly outbox: Outbox,
  ) {}

  async find(id: string): Promise<Tenant | undefined> {
    const [row] = await withTenant(this.db, id, (tx) => tx.select().from(tenants).where(eq(tenants.id, id)));
    return row ? fromRow(row) : undefined;
  }

  /** Every tenant, newest first (the platform tenant's view). */
  async list(size: number, after: Cursor | undefined) {
    const rows = await withTenant(this.db, PLATFORM_TENANT, (tx) =>
      tx
        .select()
        .from(tenants)
        .where(olderThan(tenants.createdAt, tenants.id, after))
        .orderBy(desc(tenants.createdAt), desc(tenants.id))
        .limit(size + 1),
    );
    return toPage(rows.map(fromRow), size, (tenant) => ({ at: tenant.createdAt, id: tenant.id }));
  }

  /** Records the tenant as being provisioned; returns the row that exists afterwards (new or not). */
  async insertProvisioning(tenant: NewTenant, realm: string): Promise<{ tenant: Tenant; inserted: boolean }> {
    return withTenant(this.db, tenant.id, async (tx) => {
      const [inserted] = await tx
        .insert(tenants)
        .values({ ...tenant, realm, status: 'provisioning' })
        .onConflictDoNothing()
        .returning();
      if (inserted) return { tenant: fromRow(inserted), inserted: true };
      const [existing] = await tx.select().from(tenants).where(eq(tenants.id, tenant.id));
      if (!existing) throw new Error(`tenant ${tenant.id} conflicted but cannot be read`);
      return { tenant: fromRow(existing), inserted: false };
    });
  }

  /**
   * Flips a provisioned tenant to active and, in the same transaction, announces it and runs `also`
   * (creating its first owner key). Only the caller that performs the flip gets a result; a concurrent or
   * repeated call gets undefined, so the event and the key exist exactly once.
   */
  async activate<T>(
    id: string,
    also: (tx: Transaction) => Promise<T>,
  ): Promise<{ tenant: Tenant; extra: T } | undefined> {
    return withTenant(this.db, id, async (tx) => {
      const [row] = await tx
        .update(tenants)
        .set({ status: 'active' })
        .where(and(eq(tenants.id, id), eq(tenants.status, 'provisioning')))
        .returning();
      if (!row) return undefined;
      const tenant = fromRow(row);
      await this.outbox.enqueue(tx, {
        type: 'identity.tenant.created',
        tenantId: id,
        payloadType: 'parley.identity.v1.TenantCreated',
        messageType: identityV1.TenantCreated,
        payload: { tenant: toProtoTenant(tenant) },
      });
      return { tenant, extra: await also(tx) };
    });
  }

  /**
   * Closes the tenant once, whatever its status, announcing identity.tenant.closed in the same
   * transaction; closing again returns the first closing and announces nothing. Undefined when there is
   * no such tenant.
   */
  async close(id: string, at: Date): Promise<Tenant | undefined> {
    return withTenant(this.db, id, async (tx) => {
      const [row] = await tx
        .update(tenants)
        .set({ status: 'closed', closedAt: at })
        .where(and(eq(tenants.id, id), isNull(tenants.closedAt)))
        .returning();
      if (!row) {
        const [current] = await tx.select().from(tenants).where(eq(tenants.id, id));
        return current ? fromRow(current) : undefined;
      }
      await this.outbox.enqueue(tx, {
        type: 'identity.tenant.closed',
        tenantId: id,
        payloadType: 'parley.identity.v1.TenantClosed',
        messageType: identityV1.TenantClosed,
        payload: { tenantId: id, closedAt: at },
      });
      return fromRow(row);
    });
  }
}
