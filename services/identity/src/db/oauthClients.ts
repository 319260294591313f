import { randomUUID } from 'node:crypto';
import { and, desc, eq, isNull } from 'drizzle-orm';
import { isUuid, withTenant, type Database } from '@parley/kit';
import { oauthClients, type OAuthClientRow } from './schema';

export class OAuthClientRepository {
  constructor(private readonly db: Database) {}

  async insert(
    tenantId: string,
    client: { name: string; clientId: string; idpClientId: string; scopes: string[] },
  ): Promise<OAuthClientRow> {
    const [row] = await withTenant(this.db, tenantId, (tx) =>
      tx
        .insert(oauthClients)
        .values({ id: randomUUID(), tenantId, ...client })
        .returning(),
    );
    if (!row) throw new Error('oauth client insert returned nothing');
    return row;
  }

  async list(tenantId: string): Promise<OAuthClientRow[]> {
    return withTenant(this.db, tenantId, (tx) =>
      tx
        .select()
        .from(oauthClients)
        .where(isNull(oauthClients.revokedAt))
        .orderBy(desc(oauthClients.createdAt)),
    );
  }

  async find(tenantId: string, id: string): Promise<OAuthClientRow | undefined> {
    if (!isUuid(id)) return undefined;
    const [row] = await withTenant(this.db, tenantId, (tx) =>
      tx.select().from(oauthClients).where(eq(oauthClients.id, id)),
    );
    return row;
  }

  async markRevoked(tenantId: string, id: string, at: Date): Promise<OAuthClientRow | undefined> {
    const [row] = await withTenant(this.db, tenantId, (tx) =>
      tx
        .update(oauthClients)
        .set({ revokedAt: at })
        .where(and(eq(oauthClients.id, id), isNull(oauthClients.revokedAt)))
        .returning(),
    );
    return row;
  }
}
