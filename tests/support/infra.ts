import { randomBytes } from 'node:crypto';
import { ensureDatabase, dropDatabase } from '../../tools/dev/src/postgres';

export const INFRA_ENV = 'PARLEY_TEST_INFRA';

export interface TestInfra {
  adminUrl: string;
  natsUrl: string;
  root: string;
}

/** The PostgreSQL and NATS servers started by globalSetup. */
export function testInfra(): TestInfra {
  const raw = process.env[INFRA_ENV];
  if (!raw)
    throw new Error(
      'integration infrastructure is not running: run this test through the integration project',
    );
  return JSON.parse(raw) as TestInfra;
}

export interface TestDatabase {
  name: string;
  /** URL for a login role that owns the database and cannot bypass row-level security. */
  url: string;
  drop(): Promise<void>;
}

/** A fresh database (and owning role) for one test file. */
export async function createTestDatabase(label: string): Promise<TestDatabase> {
  const { adminUrl } = testInfra();
  const name = `t_${label.replace(/[^a-z0-9]/g, '_')}_${randomBytes(4).toString('hex')}`;
  const url = await ensureDatabase(adminUrl, name, randomBytes(12).toString('hex'));
  return { name, url, drop: () => dropDatabase(adminUrl, name) };
}

/** A NATS subject/stream prefix unique to one test, so streams never collide. */
export function uniquePrefix(label: string): string {
  return `t-${label.replace(/[^a-z0-9]/g, '-')}-${randomBytes(3).toString('hex')}`;
}
