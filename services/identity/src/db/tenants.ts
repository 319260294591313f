import { eq } from 'drizzle-orm';
import { withTenant, type Database, type Outbox } from '@parley/kit';
import { identityV1 } from '@parley/proto';
import { tenants, type TenantRow } from './schema';
import { toProtoTenant, type NewTenant, type TenancyMode, type Jurisdiction } from '../domain/tenant';

export interface Tenant extends NewTenant {
  status: string;
  createdAt: Date;
}

function fromRow(row: TenantRow): Tenant {
  return {
    id: row.id,
    name: row.name,
    tenancyMode: row.tenancyMode as TenancyMode,
    jurisdiction: row.jurisdiction as Jurisdiction,
    status: row.status,
    createdAt: row.createdAt,
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

  /**
   * Inserts the tenant and its `identity.tenant.created` event in one transaction. Returns the existing
   * tenant (created: false) when the id is taken; two racing creators both see one row.
   */
  async create(tenant: NewTenant): Promise<{ tenant: Tenant; created: boolean }> {
    return withTenant(this.db, tenant.id, async (tx) => {
      const inserted = await tx
        .insert(tenants)
        .values({ ...tenant, status: 'active' })
        .onConflictDoNothing()
        .returning();
      if (inserted[0]) {
        const created = fromRow(inserted[0]);
        await this.outbox.enqueue(tx, {
          type: 'identity.tenant.created',
          tenantId: tenant.id,
          payloadType: 'parley.identity.v1.TenantCreated',
          messageType: identityV1.TenantCreated,
          payload: { tenant: toProtoTenant(created) },
        });
        return { tenant: created, created: true };
      }
      const [existing] = await tx.select().from(tenants).where(eq(tenants.id, tenant.id));
      if (!existing) throw new Error(`tenant ${tenant.id} conflicted but cannot be read`);
      return { tenant: fromRow(existing), created: false };
    });
  }
}
