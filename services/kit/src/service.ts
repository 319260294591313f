import { ConfigError } from './config';

export interface App {
  start(): Promise<void>;
  stop(): Promise<void>;
  migrate(): Promise<string[]>;
}

/**
 * What a service's main.ts calls: builds the app from the environment, runs `migrate` and exits when
 * asked (`node dist/main.js migrate`, the Helm hook), otherwise starts it and stops it gracefully on
 * SIGTERM or SIGINT. A second signal exits at once. A bad environment exits 78 (EX_CONFIG) naming each
 * bad variable.
 */
export function runService(options: { service: string; argv: string[]; build: () => App }): void {
  let app: App;
  try {
    app = options.build();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`${options.service}: ${error.message}`);
      process.exit(78);
    }
    throw error;
  }
  const fail = (error: unknown) => {
    console.error(`${options.service}: fatal: ${(error as Error)?.stack ?? String(error)}`);
    process.exit(1);
  };
  if (options.argv[2] === 'migrate') {
    app.migrate().then(async (applied) => {
      console.error(`${options.service}: ${applied.length} migration(s) applied`);
      await app.stop().catch(() => undefined);
      process.exit(0);
    }, fail);
    return;
  }
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) {
      console.error(`${options.service}: second ${signal}, exiting now`);
      process.exit(1);
    }
    stopping = true;
    app.stop().then(() => process.exit(0), fail);
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('unhandledRejection', fail);
  app.start().catch(fail);
}
