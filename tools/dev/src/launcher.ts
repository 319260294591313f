import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { randomBytes } from 'node:crypto';
import {
  checkHealth,
  closeHealthClients,
  generateInternalTokenKeyPair,
  internalTokenPublicKeySet,
} from '@parley/kit';
import { freePort, keptPort, reservePort } from './ports';
import { belongsTo, isAlive, isLauncher, processesInside, stopProcess } from './processes';
import { DEV_RESTART_POLICY, RestartPolicy, type RestartPolicyOptions } from './supervisor';
import { startDevCarrierSim, type DevCarrierSim } from './carrierSim';
import { startDevPaymentSim, type DevPaymentSim } from './paymentSim';
import { ensureDatabase, startPostgres, type PostgresServer } from './postgres';
import { natsPermissions } from '@parley/kit/src/events/permissions';
import { findNatsServer, startNats, NATS_INSTALL_HINT, type NatsServer } from './nats';
import { loadServices, serviceWiring, type ServiceDeclaration } from './services';
import { seedDemoTenant, type DevCredentials } from './seed';
import type { LogPrinter } from './logs';

export interface LaunchOptions {
  repoRoot: string;
  /** Where data and state live (`.parley/` by default). */
  home: string;
  gatewayHost: string;
  gatewayPort: number;
  readyTimeoutMs: number;
  logLevel: string;
  env: Record<string, string | undefined>;
  printer: LogPrinter;
  /** When a crashed service is restarted and when the launcher gives up (DEV_RESTART_POLICY by default). */
  restartPolicy?: RestartPolicyOptions;
}

export class LaunchError extends Error {}

/** One service under supervision: its current process, and what it takes to start it again. */
interface ServiceProcess {
  name: string;
  env: Record<string, string>;
  child: ChildProcess;
  exited: Promise<void>;
  tail: string[];
  restarts: RestartPolicy;
  restartTimer?: NodeJS.Timeout;
}

export interface ProcessRecord {
  name: string;
  pid: number;
}

/**
 * Runs the whole platform on one machine: PostgreSQL (one database and role per service), nats-server
 * with JetStream, every service but the gateway as its own process, then seeds the demo tenant and writes
 * dev.json, and only then starts the gateway, so that its `/readyz` answers 200 only when the credentials
 * can be read. A crashed service is restarted with backoff until it crashes too often (`RestartPolicy`).
 * `stop` undoes it in reverse and may be called at any moment, also while starting.
 */
export class Launcher {
  private postgres?: PostgresServer;
  private nats?: NatsServer;
  private carrierSim?: DevCarrierSim;
  private paymentSim?: DevPaymentSim;
  private services: ServiceProcess[] = [];
  private stopping?: Promise<void>;
  private giveUpHandlers: ((name: string) => void)[] = [];
  /** The services to run, in start order, as services.json at the repository root declares them. */
  private readonly declared: ServiceDeclaration[];
  readonly startedAt = Date.now();
  /** True when this start created the PostgreSQL cluster; false when it reused `.parley/pg`. */
  freshCluster = false;

  constructor(private readonly options: LaunchOptions) {
    this.declared = loadServices(options.repoRoot);
  }

  private get files() {
    const { home } = this.options;
    return {
      lock: join(home, 'launcher.pid'),
      processes: join(home, 'processes.json'),
      secrets: join(home, 'secrets.json'),
      dev: join(home, 'dev.json'),
      pg: join(home, 'pg'),
      nats: join(home, 'nats'),
      natsConfig: join(home, 'nats.conf'),
      ports: join(home, 'ports.json'),
    };
  }

  /** A path inside the data folder as messages show it: relative to the working directory when below it. */
  private shown(path: string): string {
    const below = relative(process.cwd(), path);
    return below && !below.startsWith('..') && !isAbsolute(below) ? below : path;
  }

  /** Called when a service crashed too often to be restarted again: the platform cannot work without it. */
  onGiveUp(handler: (name: string) => void): void {
    this.giveUpHandlers.push(handler);
  }

  processes(): ProcessRecord[] {
    const records: ProcessRecord[] = [];
    if (this.postgres?.process.pid) records.push({ name: 'postgres', pid: this.postgres.process.pid });
    if (this.nats?.process.pid) records.push({ name: 'nats', pid: this.nats.process.pid });
    if (this.carrierSim?.child.pid) records.push({ name: 'carrier-sim', pid: this.carrierSim.child.pid });
    if (this.paymentSim?.child.pid) records.push({ name: 'payment-sim', pid: this.paymentSim.child.pid });
    for (const service of this.services)
      if (service.child.pid) records.push({ name: service.name, pid: service.child.pid });
    return records;
  }

  async start(): Promise<DevCredentials> {
    const { printer, home } = this.options;
    const files = this.files;
    mkdirSync(home, { recursive: true });
    this.takeLock();
    await this.stopLeftovers();
    const natsBinary = findNatsServer(this.options.env);
    if (!natsBinary) throw new LaunchError(NATS_INSTALL_HINT);

    // The gateway binds its port last, a minute from now: no other process may be given it meanwhile.
    reservePort(this.options.gatewayPort);
    this.freshCluster = !existsSync(join(files.pg, 'PG_VERSION'));
    printer.info(
      this.freshCluster
        ? `creating the PostgreSQL cluster in ${this.shown(files.pg)}`
        : `reusing the PostgreSQL data in ${this.shown(files.pg)}`,
    );
    const postgresOptions = {
      dataDir: files.pg,
      port: await freePort(),
      onLog: (line: string) => {
        if (/ERROR|FATAL|PANIC|WARNING/.test(line)) printer.line('postgres', line, 'stderr');
      },
    };
    this.postgres = await startPostgres(postgresOptions);
    this.superviseInfra(
      'postgres',
      () => this.postgres!.process,
      async () => {
        this.postgres = await startPostgres(postgresOptions);
      },
    );
    this.recordProcesses();
    this.checkStopping();
    const secrets = this.secrets();
    const allServices = this.declared.map((service) => service.name);
    const databaseUrls: Record<string, string> = {};
    for (const name of allServices)
      databaseUrls[name] = await ensureDatabase(this.postgres.adminUrl, name, secrets[name]!);
    // Each service signs internal tokens with its own key; all of them verify with every public key.
    const privateKeys = Object.fromEntries(
      allServices.map((name) => [name, secrets[`internalTokenPrivateKey.${name}`]!]),
    );
    const publicKeys = internalTokenPublicKeySet(privateKeys);

    const natsOptions = {
      binary: natsBinary,
      port: await freePort(),
      storeDir: files.nats,
      configFile: files.natsConfig,
      // One user per service, allowed to publish only on its own subjects (services.json says which).
      users: this.declared.map((service) => ({
        user: service.name,
        password: secrets[natsSecret(service.name)]!,
        permissions: natsPermissions({
          service: service.name,
          publishesEvents: service.publishesEvents,
          privacyParticipant: service.privacyParticipant,
          consumes: service.consumes,
        }),
      })),
      onLog: (line: string) => {
        // Plaintext passwords are fine in a 0600 file on loopback; every other warning is shown.
        if (/\[ERR\]|\[WRN\]|\[FTL\]/.test(line) && !/Plaintext passwords/.test(line))
          printer.line('nats', line, 'stderr');
      },
    };
    this.nats = await startNats(natsOptions);
    this.superviseInfra(
      'nats',
      () => this.nats!.process,
      async () => {
        this.nats = await startNats(natsOptions);
      },
    );
    this.recordProcesses();
    this.checkStopping();

    // The carrier numbering buys numbers from: a tool process, not a service (tools/dev/src/carrierSim.ts).
    this.carrierSim = await startDevCarrierSim({
      env: this.options.env,
      home,
      port: await freePort(),
      printer,
    });
    this.carrierSim.child.once('exit', (code, signal) => {
      if (this.stopping) return;
      // It keeps its orders in memory: a new one would not know them, so the platform stops instead.
      printer.banner(
        `carrier-sim crashed (exit code ${code ?? 'none'}${signal ? `, signal ${signal}` : ''})`,
      );
      for (const handler of this.giveUpHandlers) handler('carrier-sim');
    });
    this.recordProcesses();
    this.checkStopping();

    // The payment processor billing charges top-ups through: a tool process too (tools/dev/src/paymentSim.ts).
    this.paymentSim = await startDevPaymentSim({
      env: this.options.env,
      home,
      port: await freePort(),
      webhookPort: await freePort(),
      printer,
    });
    this.paymentSim.child.once('exit', (code, signal) => {
      if (this.stopping) return;
      // Its charges and tokens live in memory: the platform stops rather than forget them.
      printer.banner(
        `payment-sim crashed (exit code ${code ?? 'none'}${signal ? `, signal ${signal}` : ''})`,
      );
      for (const handler of this.giveUpHandlers) handler('payment-sim');
    });
    this.recordProcesses();
    this.checkStopping();

    const grpcPorts: Record<string, number> = {};
    for (const name of allServices) grpcPorts[name] = await freePort();
    const gatewayUrl = `http://${this.options.gatewayHost}:${this.options.gatewayPort}`;
    const identityProvider = await this.identityProvider();
    const addressOf = (name: string) => `127.0.0.1:${grpcPorts[name]}`;
    const serviceEnv: Record<string, Record<string, string>> = {};
    // Where the simulator's call detail records are posted: messaging's CDR endpoint (dev.json names it).
    const cdrPort = await freePort();
    for (const service of this.declared) {
      const { name } = service;
      const env: Record<string, string> = {
        DATABASE_URL: databaseUrls[name]!,
        NATS_URL: this.nats.url,
        NATS_USER: name,
        NATS_PASSWORD: secrets[natsSecret(name)]!,
        GRPC_HOST: '127.0.0.1',
        GRPC_PORT: String(grpcPorts[name]),
        METRICS_HOST: '127.0.0.1',
        METRICS_PORT: String(await freePort()),
        LOG_LEVEL: this.options.logLevel,
        PARLEY_HOME: home,
        INTERNAL_TOKEN_PRIVATE_KEY: privateKeys[name]!,
        INTERNAL_TOKEN_PUBLIC_KEYS: publicKeys,
        SUBJECT_HASH_KEY: secrets.subjectHashKey!,
        ...serviceWiring(service, this.declared, addressOf),
      };
      if (name === 'identity') {
        Object.assign(env, identityProvider.identityEnv);
        env.API_KEY_PEPPER = secrets.apiKeyPepper!;
      }
      if (name === 'numbering') Object.assign(env, this.carrierSim.numberingEnv);
      if (name === 'messaging') Object.assign(env, this.carrierSim.messagingEnv);
      if (name === 'billing') Object.assign(env, this.paymentSim.billingEnv);
      // Dev receivers run on this machine: webhooks may go to loopback and private addresses (never in
      // production, where that would be server-side request forgery).
      if (name === 'messaging') env.WEBHOOK_ALLOW_PRIVATE = 'true';
      if (name === 'messaging') env.CARRIER_CALLBACK_PORT = String(cdrPort);
      if (name === 'privacy') {
        env.PRIVACY_ARCHIVE_KEY = secrets.privacyArchiveKey!;
        env.NOTIFICATIONS = 'mailbox';
      }
      if (name === 'gateway') {
        env.KEYCLOAK_URL = identityProvider.issuerBaseUrl;
        env.KEYCLOAK_REALM = identityProvider.realm;
        env.HOST = this.options.gatewayHost;
        env.PORT = String(this.options.gatewayPort);
      }
      serviceEnv[name] = env;
    }
    const backends = this.declared.filter((service) => service.name !== 'gateway');
    for (const { name } of backends) this.spawnService(name, serviceEnv[name]!);
    this.recordProcesses();
    await this.waitUntilServing(backends.map(({ name }) => [name, addressOf(name)] as const));
    closeHealthClients();
    this.checkStopping();

    const { credentials, reused } = await seedDemoTenant({
      identityAddress: `127.0.0.1:${grpcPorts.identity}`,
      messagingAddress: `127.0.0.1:${grpcPorts.messaging}`,
      gatewayUrl,
      tokenUrl: `${identityProvider.issuerBaseUrl}/realms/${identityProvider.realm}/protocol/openid-connect/token`,
      devFile: files.dev,
      dataFolder: this.shown(home),
      gatewayPrivateKey: privateKeys.gateway!,
      internalTokenPublicKeys: publicKeys,
      carrierSimulator: {
        url: this.carrierSim.url,
        apiKey: this.carrierSim.apiKey,
        cdrUrl: `http://127.0.0.1:${cdrPort}/carrier/cdrs`,
      },
      paymentSimulator: { url: this.paymentSim.url, publishableKey: this.paymentSim.publishableKey },
    });
    printer.info(
      reused
        ? `reusing the demo tenant and API key from ${this.shown(files.dev)}`
        : `seeded the demo tenant (credentials in ${this.shown(files.dev)})`,
    );
    this.checkStopping();

    // Last, the gateway: its /readyz is what scripts wait for, and dev.json is written by now.
    this.spawnService('gateway', serviceEnv.gateway!);
    this.recordProcesses();
    await this.waitUntilReady(gatewayUrl);
    return credentials;
  }

  /** Stops services (gateway first), then NATS, then PostgreSQL. Safe to call more than once. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      for (const service of this.services) clearTimeout(service.restartTimer);
      closeHealthClients();
      const gateway = this.services.filter((service) => service.name === 'gateway');
      const others = this.services.filter((service) => service.name !== 'gateway');
      await Promise.all(gateway.map((service) => this.stopService(service)));
      await Promise.all(others.map((service) => this.stopService(service)));
      await this.carrierSim?.stop();
      await this.paymentSim?.stop();
      await this.nats?.stop();
      await this.postgres?.stop();
      rmSync(this.files.processes, { force: true });
      this.releaseLock();
    })();
    return this.stopping;
  }

  private checkStopping(): void {
    if (this.stopping) throw new LaunchError('stopped while starting');
  }

  /**
   * One launcher per data folder. The lock of a launcher that died without stopping (SIGKILL) is stale: its
   * pid is gone, or belongs to another program by now; then this launcher takes it over.
   */
  private takeLock(): void {
    const { lock } = this.files;
    if (existsSync(lock)) {
      const pid = Number(readFileSync(lock, 'utf8'));
      if (pid && pid !== process.pid && isLauncher(pid)) {
        throw new LaunchError(
          `another \`npm start\` (pid ${pid}) is using ${this.options.home}; stop it first`,
        );
      }
    }
    writeFileSync(lock, String(process.pid));
  }

  private releaseLock(): void {
    const { lock } = this.files;
    if (existsSync(lock) && Number(readFileSync(lock, 'utf8')) === process.pid) rmSync(lock, { force: true });
  }

  /**
   * A launcher that was killed outright (SIGKILL, or a closed terminal) leaves its children behind, and
   * PostgreSQL's lock on the data directory with them: a new server refuses to start while the old one or
   * any of its processes still runs. End them in order (services, then NATS, then PostgreSQL with a fast
   * shutdown, which also removes its lock), and wait until they are gone before starting anew.
   */
  private async stopLeftovers(): Promise<void> {
    const { processes, pg } = this.files;
    const { home, printer } = this.options;
    const leftovers = existsSync(processes)
      ? (JSON.parse(readFileSync(processes, 'utf8')) as ProcessRecord[]).filter(
          (record) => isAlive(record.pid) && belongsTo(record.pid, home),
        )
      : [];
    // The server of our data directory, even when processes.json was never written: its pid is in its lock.
    const postmasterPid = join(pg, 'postmaster.pid');
    const postmaster = existsSync(postmasterPid)
      ? Number(readFileSync(postmasterPid, 'utf8').split('\n')[0])
      : 0;
    if (postmaster && processesInside(pg).includes(postmaster)) {
      if (!leftovers.some((record) => record.pid === postmaster))
        leftovers.push({ name: 'postgres', pid: postmaster });
    }
    const rank = (name: string) => (name === 'postgres' ? 2 : name === 'nats' ? 1 : 0);
    for (const stage of [0, 1, 2]) {
      const now = leftovers.filter((record) => rank(record.name) === stage);
      for (const record of now)
        printer.info(
          `stopping ${record.name} (pid ${record.pid}), left over from a launcher that was killed`,
        );
      await Promise.all(
        now.map((record) =>
          stopProcess(record.pid, record.name === 'postgres' ? 'SIGINT' : 'SIGTERM', 15_000),
        ),
      );
    }
    // After a SIGKILL, PostgreSQL's own processes end by themselves a moment after the server.
    const deadline = Date.now() + 10_000;
    while (processesInside(pg).length > 0 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 100));
    rmSync(processes, { force: true });
  }

  private recordProcesses(): void {
    // Written whole then renamed, so a reader (a later launcher, a test) never sees half a file.
    writeFileSync(`${this.files.processes}.tmp`, JSON.stringify(this.processes(), null, 2));
    renameSync(`${this.files.processes}.tmp`, this.files.processes);
  }

  /**
   * Database and NATS passwords and the internal-token private key of every service, the subject hash
   * key and the API key pepper, made once and kept in .parley/secrets.json (a service added later gets
   * its own on the next start).
   */
  private secrets(): Record<string, string> {
    const { secrets } = this.files;
    const existing = existsSync(secrets)
      ? (JSON.parse(readFileSync(secrets, 'utf8')) as Record<string, string>)
      : {};
    // Subject hashes were once keyed with the internal token key: an existing .parley keeps that value as
    // its subject hash key, so its tombstones, restrictions and consents still match.
    existing.subjectHashKey ??= existing.internalTokenKey ?? randomBytes(32).toString('base64url');
    for (const { name } of this.declared) {
      existing[name] ??= randomBytes(18).toString('base64url');
      existing[natsSecret(name)] ??= randomBytes(24).toString('base64url');
      existing[`internalTokenPrivateKey.${name}`] ??= generateInternalTokenKeyPair(name).privateKey;
    }
    existing.privacyArchiveKey ??= randomBytes(32).toString('base64url');
    existing.apiKeyPepper ??= randomBytes(32).toString('base64url');

    writeFileSync(secrets, JSON.stringify(existing, null, 2), { mode: 0o600 });
    return existing;
  }

  /**
   * The embedded identity provider inside identity, unless KEYCLOAK_URL (with admin credentials) points
   * at a real Keycloak, which the end-to-end Keycloak suite does.
   */
  private async identityProvider() {
    const { env, printer } = this.options;
    const realm = env.KEYCLOAK_REALM ?? 'parley';
    if (env.KEYCLOAK_URL) {
      const passThrough = [
        'KEYCLOAK_ADMIN_USERNAME',
        'KEYCLOAK_ADMIN_PASSWORD',
        'KEYCLOAK_ADMIN_CLIENT_ID',
        'KEYCLOAK_ADMIN_CLIENT_SECRET',
      ].filter((name) => env[name]);
      return {
        realm,
        issuerBaseUrl: env.KEYCLOAK_URL.replace(/\/$/, ''),
        identityEnv: {
          IDENTITY_PROVIDER: 'keycloak',
          KEYCLOAK_URL: env.KEYCLOAK_URL,
          KEYCLOAK_REALM: realm,
          ...Object.fromEntries(passThrough.map((name) => [name, env[name] ?? ''])),
        } as Record<string, string>,
      };
    }
    // The issuer URL is in every token: the same port on every start keeps tokens valid across restarts.
    const { port: embeddedPort, replaced } = await keptPort(this.files.ports, 'loginServer');
    if (replaced)
      printer.info(
        `the dev login server's port ${replaced} (kept in ${this.shown(this.files.ports)}) is taken by another program; using ${embeddedPort} from now on: log in again, earlier tokens name the old port`,
      );
    const issuerBaseUrl = `http://127.0.0.1:${embeddedPort}`;
    return {
      realm,
      issuerBaseUrl,
      identityEnv: {
        IDENTITY_PROVIDER: 'embedded',
        KEYCLOAK_REALM: realm,
        EMBEDDED_IDP_HOST: '127.0.0.1',
        EMBEDDED_IDP_PORT: String(embeddedPort),
        EMBEDDED_IDP_PUBLIC_URL: issuerBaseUrl,
      } as Record<string, string>,
    };
  }

  private spawnService(name: string, env: Record<string, string>): void {
    const service: ServiceProcess = {
      name,
      env,
      tail: [],
      restarts: new RestartPolicy(this.options.restartPolicy ?? DEV_RESTART_POLICY),
      ...this.run(name, env),
    };
    this.services.push(service);
    this.watch(service);
  }

  private run(
    name: string,
    serviceEnv: Record<string, string>,
  ): { child: ChildProcess; exited: Promise<void> } {
    const { repoRoot, env } = this.options;
    const child = spawn(
      process.execPath,
      ['--conditions=parley-source', '--import', 'tsx', join('services', name, 'src', 'main.ts')],
      {
        cwd: repoRoot,
        // Its own process group: Ctrl-C reaches only the launcher, which stops everything in order.
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...env, NODE_ENV: env.NODE_ENV ?? 'development', ...serviceEnv },
      },
    );
    return { child, exited: new Promise((resolve) => child.once('exit', () => resolve())) };
  }

  /** Forwards the current process's output and, when it exits unasked, lets the restart policy decide. */
  private watch(service: ServiceProcess): void {
    const { printer } = this.options;
    const { name, child } = service;
    const forward = (stream: 'stdout' | 'stderr') => {
      let buffer = '';
      child[stream]?.on('data', (chunk: Buffer) => {
        buffer += chunk.toString();
        const lines = buffer.split('\n');
        buffer = lines.pop() ?? '';
        for (const line of lines) {
          if (!line) continue;
          service.tail.push(line);
          if (service.tail.length > 30) service.tail.shift();
          printer.line(name, line, stream);
        }
      });
    };
    forward('stdout');
    forward('stderr');
    child.once('exit', (code, signal) => {
      if (this.stopping) return;
      printer.banner(`${name} crashed (exit code ${code ?? 'none'}${signal ? `, signal ${signal}` : ''})`);
      for (const line of service.tail.slice(-15)) printer.line(name, line, 'stderr');
      service.restartTimer = this.afterCrash(name, service.restarts, () => {
        service.restartTimer = undefined;
        Object.assign(service, this.run(name, service.env));
        this.recordProcesses();
        printer.info(`restarted ${name} (pid ${service.child.pid})`);
        this.watch(service);
      });
    });
  }

  /**
   * After a crash: the restart policy decides. Giving up tells the give-up handlers (the platform cannot
   * work without the process); otherwise `start` runs after the policy's delay (unless the launcher is
   * stopping by then). Returns the timer, for `stop` to clear.
   */
  private afterCrash(name: string, restarts: RestartPolicy, start: () => void): NodeJS.Timeout | undefined {
    const { printer } = this.options;
    const decision = restarts.crashed(Date.now());
    const { maxRestarts, windowMs } = restarts.options;
    if (decision.action === 'give-up') {
      printer.banner(
        `${name} crashed ${decision.crashes} times within ${windowMs / 1000} s: giving up on it`,
      );
      for (const handler of this.giveUpHandlers) handler(name);
      return undefined;
    }
    printer.info(
      `restarting ${name} in ${decision.delayMs / 1000} s (restart ${decision.restart} of ${maxRestarts} within ${windowMs / 1000} s)`,
    );
    return setTimeout(() => {
      if (!this.stopping) start();
    }, decision.delayMs);
  }

  /**
   * PostgreSQL or nats-server exited unasked: started again on the same port with the same data (services
   * reconnect by themselves), under the same restart policy as a service. A start that fails (PostgreSQL
   * refuses while the killed server's backends still hold its shared memory) counts as a crash and is
   * tried again after the policy's delay.
   */
  private superviseInfra(name: string, current: () => ChildProcess, restart: () => Promise<void>): void {
    const { printer } = this.options;
    const restarts = new RestartPolicy(this.options.restartPolicy ?? DEV_RESTART_POLICY);
    const watch = (child: ChildProcess) =>
      child.once('exit', (code, signal) => {
        if (this.stopping) return;
        printer.banner(`${name} crashed (exit code ${code ?? 'none'}${signal ? `, signal ${signal}` : ''})`);
        crashed();
      });
    const crashed = () =>
      this.afterCrash(name, restarts, () =>
        restart().then(
          () => {
            if (this.stopping) return void current().kill('SIGTERM');
            this.recordProcesses();
            printer.info(`restarted ${name} (pid ${current().pid})`);
            watch(current());
          },
          (error: unknown) => {
            printer.line(name, `could not start again: ${(error as Error).message.split('\n')[0]}`, 'stderr');
            if (!this.stopping) crashed();
          },
        ),
      );
    watch(current());
  }

  private async stopService(service: ServiceProcess): Promise<void> {
    const { child } = service;
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => {
      this.options.printer.info(`${service.name} did not stop within 15 s; killing it`);
      child.kill('SIGKILL');
    }, 15_000);
    await service.exited;
    clearTimeout(timer);
  }

  /** Waits until every service answers its gRPC health check with SERVING. */
  private async waitUntilServing(addresses: (readonly [string, string])[]): Promise<void> {
    const deadline = Date.now() + this.options.readyTimeoutMs;
    let waiting = addresses;
    while (Date.now() < deadline) {
      this.checkStopping();
      const answers = await Promise.all(addresses.map(([, address]) => checkHealth(address, 2_000)));
      waiting = addresses.filter((_, index) => answers[index] !== 'SERVING');
      if (waiting.length === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new LaunchError(
      `${waiting.map(([name]) => name).join(', ')} not serving after ${this.options.readyTimeoutMs} ms`,
    );
  }

  private async waitUntilReady(gatewayUrl: string): Promise<void> {
    const deadline = Date.now() + this.options.readyTimeoutMs;
    let last = 'no answer yet';
    while (Date.now() < deadline) {
      this.checkStopping();
      try {
        const response = await fetch(`${gatewayUrl}/readyz`, { signal: AbortSignal.timeout(2_000) });
        if (response.status === 200) return;
        last = `${response.status} ${await response.text()}`;
      } catch (error) {
        last = (error as Error).message;
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new LaunchError(
      `the gateway was not ready after ${this.options.readyTimeoutMs} ms (last answer: ${last})`,
    );
  }
}

/** Key of a service's NATS password in .parley/secrets.json. */
function natsSecret(service: string): string {
  return `nats:${service}`;
}
