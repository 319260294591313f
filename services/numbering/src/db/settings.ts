import { sql } from 'drizzle-orm';
import type { Transaction } from '@parley/kit';
import { tenantSettings } from './schema';

export type Settings = Pick<
  typeof tenantSettings.$inferSelect,
  'billingCurrency' | 'quarantineDays' | 'erasurePolicy'
>;

export const DEFAULT_SETTINGS: Settings = {
  billingCurrency: 'USD',
  quarantineDays: 30,
  erasurePolicy: 'unassign',
};

/** A tenant's numbering settings; a tenant that never set any has the defaults. */
export class SettingsRepository {
  async get(tx: Transaction): Promise<Settings> {
    const [row] = await tx.select().from(tenantSettings);
    return row
      ? {
          billingCurrency: row.billingCurrency,
          quarantineDays: row.quarantineDays,
          erasurePolicy: row.erasurePolicy,
        }
      : DEFAULT_SETTINGS;
  }

  async put(tx: Transaction, tenantId: string, settings: Settings): Promise<Settings> {
    await tx
      .insert(tenantSettings)
      .values({ tenantId, ...settings })
      .onConflictDoUpdate({ target: tenantSettings.tenantId, set: { ...settings, updatedAt: sql`now()` } });
    return settings;
  }
}
