import { describe, expect, it } from '@jest/globals';
import { isTenantId, withTenant, type Database } from './database';

describe('withTenant', () => {
  it('refuses a tenant id that is not a slug before touching the database', async () => {
    const untouchable = new Proxy(
      {},
      {
        get: () => {
          throw new Error('database used');
        },
      },
    ) as Database;
    await expect(withTenant(untouchable, "acme'; drop table x; --", async () => 1)).rejects.toMatchObject({
      kind: 'invalid_argument',
      reason: 'TENANT_ID_INVALID',
    });
  });

  it('accepts slugs only', () => {
    expect(isTenantId('acme-2')).toBe(true);
    expect(isTenantId('Acme')).toBe(false);
    expect(isTenantId('a')).toBe(false);
  });
});
