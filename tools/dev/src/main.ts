// `npm start`: reads the environment, runs the launcher, and turns Ctrl-C, SIGTERM and a closed terminal
// (SIGHUP) into an orderly stop.
import { join, resolve } from 'node:path';
import { Launcher, LaunchError } from './launcher';
import { createPrinter } from './logs';

const repoRoot = resolve(__dirname, '..', '..', '..');
const env = process.env;
const printer = createPrinter({ colour: Boolean(process.stdout.isTTY) && !env.NO_COLOR });
const port = Number(env.PORT ?? 8080);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`PORT must be a TCP port number, got "${env.PORT}"`);
  process.exit(2);
}
const home = resolve(env.PARLEY_HOME ?? join(repoRoot, '.parley'));
const launcher = new Launcher({
  repoRoot,
  home,
  gatewayHost: env.HOST ?? '127.0.0.1',
  gatewayPort: port,
  readyTimeoutMs: Number(env.PARLEY_READY_TIMEOUT_MS ?? 60_000),
  logLevel: env.LOG_LEVEL ?? 'info',
  env,
  printer,
});

let exiting = false;
function shutdown(code: number, reason: string): void {
  if (exiting) return;
  exiting = true;
  printer.info(`${reason}: stopping everything`);
  launcher.stop().then(
    () => {
      printer.info('stopped');
      process.exit(code);
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}

// Once the terminal is closed, writing to it fails (EIO, EPIPE): that must not cut the orderly stop short.
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);

process.on('SIGINT', () => (exiting ? process.exit(130) : shutdown(0, 'Ctrl-C')));
process.on('SIGTERM', () => shutdown(0, 'SIGTERM'));
// The services run in their own sessions, so a closed terminal hangs up on the launcher alone.
process.on('SIGHUP', () => shutdown(0, 'the terminal was closed (SIGHUP)'));
launcher.onGiveUp((name) => shutdown(1, `${name} keeps crashing`));

launcher.start().then(
  (credentials) => {
    const seconds = ((Date.now() - launcher.startedAt) / 1000).toFixed(1);
    printer.info(`Parley is up in ${seconds} s (${launcher.freshCluster ? 'fresh data' : 'existing data'})`);
    printer.info(
      `  gateway   ${credentials.gatewayUrl}   (API docs: ${credentials.gatewayUrl}/v1/openapi.json)`,
    );
    printer.info(`  tenant    ${credentials.tenantId}`);
    printer.info(`  API key   ${credentials.apiKey}`);
    printer.info(`  admin key ${credentials.adminApiKey}   (platform admin: /v1/tenants)`);
    printer.info(`  owner     ${credentials.owner.username} / ${credentials.owner.password}`);
    printer.info(`  webhooks  ${credentials.webhookSecret}   (signing secret: verify with standardwebhooks)`);
    printer.info(
      `  try       curl -H "Authorization: Bearer ${credentials.apiKey}" ${credentials.gatewayUrl}/v1/tenant`,
    );
    printer.info(
      `  log in     curl -d grant_type=password -d client_id=parley-cli -d username=${credentials.owner.username} -d 'password=${credentials.owner.password}' ${credentials.tokenUrl}`,
    );

    printer.info(`  (also written to ${join(home, 'dev.json')}; Ctrl-C stops everything)`);
    printer.info('ready');
  },
  (error: unknown) => {
    if (exiting) return;
    console.error(error instanceof LaunchError ? `npm start: ${error.message}` : error);
    shutdown(1, 'start failed');
  },
);
