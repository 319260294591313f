import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { MigrationSource } from './db/migrate';

export interface ServiceAssets {
  migrations: MigrationSource[];
  /** Directory holding `parley/<service>/v1/*.proto`, for gRPC reflection. */
  protoDir: string;
}

/**
 * Finds a service's migrations and the contracts. Run from source (`npm start`, tests) they sit in the
 * repository; in a built image `npm run build` copies them beside the bundle as `dist/migrations/{kit,service}`
 * and `dist/proto`. `appDir` is the directory of the service's app.ts (or of its bundle).
 */
export function locateAssets(appDir: string): ServiceAssets {
  const bundled = join(appDir, 'migrations', 'kit');
  if (existsSync(bundled)) {
    return {
      migrations: [
        { scope: 'kit', dir: bundled },
        { scope: 'service', dir: join(appDir, 'migrations', 'service') },
      ],
      protoDir: join(appDir, 'proto'),
    };
  }
  return {
    migrations: [
      { scope: 'kit', dir: join(__dirname, 'db', 'migrations') },
      { scope: 'service', dir: join(appDir, 'db', 'migrations') },
    ],
    protoDir: dirname(require.resolve('@parley/proto/package.json')),
  };
}
