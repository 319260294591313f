import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { freePort } from '../../dev/src/ports';
import { ensureDatabase, startPostgres, type PostgresServer } from '../../dev/src/postgres';
import { findNatsServer, startNats, NATS_INSTALL_HINT, type NatsServer } from '../../dev/src/nats';

export interface BenchInfra {
  databaseUrl: string;
  natsUrl: string;
  pids: { postgres?: number; nats?: number };
  postgresVersion?: string;
  stop(): Promise<void>;
}

/**
 * A PostgreSQL server and a nats-server of the bench's own, on loopback and free ports, with their data
 * in a temporary directory that `stop` removes (also when starting fails half-way).
 */
export async function startInfra(log: (line: string) => void): Promise<BenchInfra> {
  const natsBinary = findNatsServer(process.env);
  if (!natsBinary) throw new Error(NATS_INSTALL_HINT);
  const root = mkdtempSync(join(tmpdir(), 'parley-bench-'));
  let postgres: PostgresServer | undefined;
  let nats: NatsServer | undefined;
  const stop = async () => {
    await nats?.stop().catch(() => undefined);
    await postgres?.stop().catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  };
  try {
    postgres = await startPostgres({ dataDir: join(root, 'pg'), port: await freePort() });
    log(`postgres on 127.0.0.1:${postgres.port} (pid ${postgres.process.pid})`);
    nats = await startNats({ binary: natsBinary, port: await freePort(), storeDir: join(root, 'nats') });
    log(`nats-server at ${nats.url} (pid ${nats.process.pid})`);
    const databaseUrl = await ensureDatabase(postgres.adminUrl, 'bench', randomBytes(12).toString('hex'));
    return {
      databaseUrl,
      natsUrl: nats.url,
      pids: { postgres: postgres.process.pid, nats: nats.process.pid },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
