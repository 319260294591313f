import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import { freePort } from '../../tools/dev/src/ports';
import { isAlive } from '../../tools/dev/src/processes';
import {
  launch as launchIn,
  processesOfHome as processesOf,
  untilReady,
  type Launch,
} from '../support/launcher';

const home = mkdtempSync(join(tmpdir(), 'parley-e2e-'));

/** The launcher a test started last: stopped after the test if the test failed before stopping it. */
let current: Launch | undefined;

/** Runs the launcher exactly as `npm start` does, in this test's PARLEY_HOME. */
function launch(env: Record<string, string>): Launch {
  current = launchIn(home, env);
  return current;
}

/** A zombie (exited, not yet reaped) counts as gone. */
const alive = isAlive;

const processesOfHome = () => processesOf(home);

interface ProcessRecord {
  name: string;
  pid: number;
}

function recorded(): ProcessRecord[] {
  return JSON.parse(readFileSync(join(home, 'processes.json'), 'utf8')) as ProcessRecord[];
}

async function until<T>(what: string, check: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`not within 90 s: ${what}`);
}

/** Polls the gateway's /readyz from the moment of launch; at its first 200, says whether dev.json was there. */
async function devJsonAtFirstReady(port: number, run: Launch): Promise<boolean> {
  for (;;) {
    if (run.child.exitCode !== null) throw new Error(`launcher exited:\n${run.output()}`);
    const status = await fetch(`http://127.0.0.1:${port}/readyz`).then(
      (response) => response.status,
      () => 0,
    );
    if (status === 200) return existsSync(join(home, 'dev.json'));
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The id of a running service's process, once it differs from `not` (a restart) and runs. */
function serviceProcess(name: string, not?: number): Promise<number> {
  return until(`${name} running${not ? ` again after pid ${not}` : ''}`, () => {
    if (!existsSync(join(home, 'processes.json'))) return undefined;
    const pid = recorded().find((entry) => entry.name === name)?.pid;
    return pid && pid !== not && alive(pid) ? pid : undefined;
  });
}

async function api(path: string, key?: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const { gatewayUrl } = JSON.parse(readFileSync(join(home, 'dev.json'), 'utf8')) as { gatewayUrl: string };
  const response = await fetch(`${gatewayUrl}${path}`, {
    headers: key ? { authorization: `Bearer ${key}` } : {},
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('npm start (tools/dev launcher)', () => {
  let port: number;
  let firstKey: string;
  let firstWebhookSecret: string;
  let ownerToken: string;
  let tokenUrl: string;
  let orphans: ProcessRecord[];

  afterEach(async () => {
    if (current && current.child.exitCode === null && current.child.signalCode === null) {
      current.child.kill('SIGINT');
      await current.exited;
    }
  });

  afterAll(() => {
    for (const pid of processesOfHome()) process.kill(pid, 'SIGKILL');
    rmSync(home, { recursive: true, force: true });
  });

  it('says in one line how to install nats-server when it is missing', async () => {
    const run = launch({
      NATS_SERVER_BIN: join(home, 'no-such-nats-server'),
      PORT: String(await freePort()),
    });
    expect(await run.exited).toBe(1);
    expect(run.output()).toMatch(/nats-server not found: install it \(Debian: `apt-get install nats-server`/);
  });

  it('brings up all six services, seeds working credentials, and Ctrl-C leaves nothing running', async () => {
    port = await freePort();
    const run = launch({ PORT: String(port) });
    // A script that waits for /readyz must find the credentials written (issue 9, item 13).
    const devJsonWhenReady = devJsonAtFirstReady(port, run);
    await untilReady(run);
    expect(await devJsonWhenReady).toBe(true);
    // PARLEY_HOME is outside the repository here: messages name it, not `.parley`.
    expect(run.output()).toContain(`creating the PostgreSQL cluster in ${join(home, 'pg')}`);
    expect(run.output()).toContain(`seeded the demo tenant (credentials in ${join(home, 'dev.json')})`);
    expect(run.output()).not.toContain('.parley/');

    const dev = JSON.parse(readFileSync(join(home, 'dev.json'), 'utf8')) as Record<string, string> & {
      owner: { username: string; password: string };
      carrierSimulator: { url: string; apiKey: string };
    };
    expect(Object.keys(dev).sort()).toEqual([
      'adminApiKey',
      'apiKey',
      'carrierSimulator',
      'gatewayUrl',
      'owner',
      'paymentSimulator',
      'tenantId',
      'tokenUrl',
      'twilioAccountSid',
      'twilioAuthToken',
      'webhookSecret',
      'webhookSecretId',
    ]);
    expect(dev.twilioAccountSid).toMatch(/^AC[0-9a-f]{32}$/);
    expect(dev.twilioAuthToken).toMatch(/^[0-9a-f]{32}$/);
    expect(dev.gatewayUrl).toBe(`http://127.0.0.1:${port}`);
    // This run's carrier simulator, for scripts: its SMSC counters open with the key written there only.
    const counters = (key: string) =>
      fetch(`${dev.carrierSimulator.url}/smsc/counters`, { headers: { authorization: `Bearer ${key}` } });
    expect((await counters(dev.carrierSimulator.apiKey)).status).toBe(200);
    expect((await counters(dev.apiKey!)).status).toBe(401);
    firstKey = dev.apiKey!;
    // The demo tenant's webhook signing secret: current, and never shown by the API again.
    expect(dev.webhookSecret).toMatch(/^whsec_/);
    firstWebhookSecret = dev.webhookSecret!;
    const secrets = await api('/v1/webhook-secrets', firstKey);
    expect(secrets.body).toEqual({
      secrets: [expect.objectContaining({ id: dev.webhookSecretId, signing: true })],
    });

    const ready = await api('/readyz');
    expect(ready).toEqual({
      status: 200,
      body: {
        status: 'ready',
        services: {
          identity: 'SERVING',
          numbering: 'SERVING',
          messaging: 'SERVING',
          billing: 'SERVING',
          privacy: 'SERVING',
        },
      },
    });
    expect(await api('/v1/tenant', firstKey)).toMatchObject({
      status: 200,
      body: { id: dev.tenantId, status: 'active' },
    });
    expect((await api('/v1/tenant')).status).toBe(401);
    expect((await api('/v1/tenants', dev.adminApiKey)).status).toBe(200);

    // The demo owner logs in with the printed credentials and uses the token at the gateway.
    const login = await fetch(dev.tokenUrl!, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'password',
        client_id: 'parley-cli',
        username: dev.owner.username,
        password: dev.owner.password,
      }),
    });
    const { access_token: token } = (await login.json()) as { access_token: string };
    ownerToken = token;
    tokenUrl = dev.tokenUrl!;
    expect(await api('/v1/accounts/me', token)).toMatchObject({
      status: 200,
      body: { email: dev.owner.username, roles: ['owner'] },
    });

    const started = recorded();
    expect(started.map((entry) => entry.name).sort()).toEqual(
      [
        'billing',
        'carrier-sim',
        'gateway',
        'identity',
        'messaging',
        'nats',
        'numbering',
        'payment-sim',
        'postgres',
        'privacy',
      ].sort(),
    );
    // The carrier simulator numbering buys numbers from runs beside the services, and says where.
    const carrierUrl = /carrier simulator \(tools\/carrier-sim\) on (http:\/\/\S+)/.exec(run.output())?.[1];
    expect(carrierUrl).toBeDefined();
    expect((await fetch(`${carrierUrl}/healthz`)).status).toBe(200);
    // So does the payment processor billing charges top-ups through.
    const paymentUrl = /payment simulator \(tools\/payment-sim\) on (http:\/\/\S+)/.exec(run.output())?.[1];
    expect(paymentUrl).toBeDefined();
    expect((await fetch(`${paymentUrl}/healthz`)).status).toBe(200);
    expect(started.every((entry) => alive(entry.pid))).toBe(true);

    run.child.kill('SIGINT');
    expect(await run.exited).toBe(0);
    expect(started.filter((entry) => alive(entry.pid))).toEqual([]);
    expect(processesOfHome()).toEqual([]);
    expect(existsSync(join(home, 'processes.json'))).toBe(false);
  }, 180_000);

  it('reuses the data and the login server port, and restarts a crashed service loudly', async () => {
    const run = launch({ PORT: String(port) });
    await untilReady(run);
    expect(run.output()).toContain('reusing the PostgreSQL data');
    expect(run.output()).toContain('reusing the demo tenant and API key');
    const dev = JSON.parse(readFileSync(join(home, 'dev.json'), 'utf8')) as Record<string, string>;
    expect(dev.apiKey).toBe(firstKey);
    expect(dev.webhookSecret).toBe(firstWebhookSecret);
    expect((await api('/v1/tenant', firstKey)).status).toBe(200);
    // The login server listens where it did before, so a token from the first run still works (item 13).
    expect(dev.tokenUrl).toBe(tokenUrl);
    expect((await api('/v1/accounts/me', ownerToken)).status).toBe(200);

    // One crashed service no longer takes the platform down: it is restarted after a delay (item 12).
    const billing = await serviceProcess('billing');
    process.kill(billing, 'SIGKILL');
    const restarted = await serviceProcess('billing', billing);
    expect(run.output()).toMatch(/!!! billing crashed \(exit code none, signal SIGKILL\) !!!/);
    expect(run.output()).toMatch(/restarting billing in 1 s \(restart 1 of 3 within 60 s\)/);
    await until('billing serving again', async () => {
      const ready = await api('/readyz');
      return ready.status === 200 ? ready : undefined;
    });
    expect(run.child.exitCode).toBeNull();
    expect(alive(restarted)).toBe(true);

    // The launcher dies without a chance to stop anything: what it started keeps running, PostgreSQL with
    // its lock on the data directory (a service may end by itself once its log pipe is gone).
    const started = recorded();
    run.child.kill('SIGKILL');
    await run.exited;
    // The simulators notice their parent is gone and stop by themselves; the rest is left over.
    const simulators = started.filter((entry) => /-sim$/.test(entry.name));
    expect(simulators.map((entry) => entry.name).sort()).toEqual(['carrier-sim', 'payment-sim']);
    await until('the simulators to stop by themselves', () =>
      simulators.some((entry) => alive(entry.pid)) ? undefined : true,
    );
    orphans = started.filter((entry) => alive(entry.pid));
    expect(orphans.map((entry) => entry.name)).toContain('postgres');
  }, 240_000);

  it('starts after a killed launcher (stale lock, PostgreSQL still running), and gives up on a service that keeps crashing', async () => {
    const run = launch({ PORT: String(port) });
    await untilReady(run);
    for (const { name, pid } of orphans)
      expect(run.output()).toContain(
        `stopping ${name} (pid ${pid}), left over from a launcher that was killed`,
      );
    expect(orphans.filter((entry) => alive(entry.pid))).toEqual([]);
    expect((await api('/v1/tenant', firstKey)).status).toBe(200);

    // Four crashes within a minute: three restarts, then the launcher gives up and stops everything.
    let pid = await serviceProcess('billing');
    for (let crash = 1; crash <= 3; crash += 1) {
      process.kill(pid, 'SIGKILL');
      pid = await serviceProcess('billing', pid);
    }
    process.kill(pid, 'SIGKILL');
    expect(await run.exited).toBe(1);
    expect(run.output()).toMatch(/restart 3 of 3 within 60 s/);
    expect(run.output()).toMatch(/!!! billing crashed 4 times within 60 s: giving up on it !!!/);
    expect(processesOfHome()).toEqual([]);
  }, 240_000);

  it('stops everything in order when the terminal is closed (SIGHUP)', async () => {
    const run = launch({ PORT: String(port) });
    await untilReady(run);
    const started = recorded();
    run.child.kill('SIGHUP');
    expect(await run.exited).toBe(0);
    expect(run.output()).toContain('the terminal was closed (SIGHUP): stopping everything');
    expect(started.filter((entry) => alive(entry.pid))).toEqual([]);
    expect(processesOfHome()).toEqual([]);
    expect(existsSync(join(home, 'launcher.pid'))).toBe(false);
  }, 180_000);
});
