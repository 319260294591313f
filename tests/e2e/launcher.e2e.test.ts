import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { freePort } from '../../tools/dev/src/ports';

const repoRoot = join(__dirname, '..', '..');
const home = mkdtempSync(join(tmpdir(), 'parley-e2e-'));

interface Launch {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** Runs the launcher exactly as `npm start` does, in its own PARLEY_HOME. */
function launch(env: Record<string, string>): Launch {
  let output = '';
  const child = spawn(
    process.execPath,
    ['--conditions=parley-source', '--import', 'tsx', 'tools/dev/src/main.ts'],
    {
      cwd: repoRoot,
      env: { ...process.env, PARLEY_HOME: home, NO_COLOR: '1', LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return {
    child,
    output: () => output,
    exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))),
  };
}

async function untilReady(run: Launch): Promise<void> {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (/\| ready\n/.test(run.output())) return;
    if (run.child.exitCode !== null)
      throw new Error(`launcher exited ${run.child.exitCode}:\n${run.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`launcher not ready after 90 s:\n${run.output()}`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Every process whose command line or environment mentions this test's PARLEY_HOME. */
function processesOfHome(): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((pid) => {
      try {
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        const environ = readFileSync(`/proc/${pid}/environ`, 'utf8');
        return cmdline.includes(home) || environ.split('\0').includes(`PARLEY_HOME=${home}`);
      } catch {
        return false;
      }
    })
    .filter((pid) => pid !== process.pid);
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
    await untilReady(run);
    expect(run.output()).toContain('creating the PostgreSQL cluster');

    const dev = JSON.parse(readFileSync(join(home, 'dev.json'), 'utf8')) as Record<string, string> & {
      owner: { username: string; password: string };
    };
    expect(Object.keys(dev).sort()).toEqual([
      'adminApiKey',
      'apiKey',
      'gatewayUrl',
      'owner',
      'tenantId',
      'tokenUrl',
    ]);
    expect(dev.gatewayUrl).toBe(`http://127.0.0.1:${port}`);
    firstKey = dev.apiKey!;

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
    expect(await api('/v1/accounts/me', token)).toMatchObject({
      status: 200,
      body: { email: dev.owner.username, roles: ['owner'] },
    });

    const recorded = JSON.parse(readFileSync(join(home, 'processes.json'), 'utf8')) as {
      name: string;
      pid: number;
    }[];
    expect(recorded.map((entry) => entry.name).sort()).toEqual(
      [
        'billing',
        'carrier-sim',
        'gateway',
        'identity',
        'messaging',
        'nats',
        'numbering',
        'postgres',
        'privacy',
      ].sort(),
    );
    // The carrier simulator numbering buys numbers from runs beside the services, and says where.
    const carrierUrl = /carrier simulator \(tools\/carrier-sim\) on (http:\/\/\S+)/.exec(run.output())?.[1];
    expect(carrierUrl).toBeDefined();
    expect((await fetch(`${carrierUrl}/healthz`)).status).toBe(200);
    expect(recorded.every((entry) => alive(entry.pid))).toBe(true);

    run.child.kill('SIGINT');
    expect(await run.exited).toBe(0);
    expect(recorded.filter((entry) => alive(entry.pid))).toEqual([]);
    expect(processesOfHome()).toEqual([]);
    expect(existsSync(join(home, 'processes.json'))).toBe(false);
  });

  it('reuses the data on a second start, and a crashed service is reported loudly and stops everything', async () => {
    const run = launch({ PORT: String(port) });
    await untilReady(run);
    expect(run.output()).toContain('reusing the PostgreSQL data');
    expect(run.output()).toContain('reusing the demo tenant and API key');
    expect(JSON.parse(readFileSync(join(home, 'dev.json'), 'utf8')).apiKey).toBe(firstKey);
    expect((await api('/v1/tenant', firstKey)).status).toBe(200);

    const recorded = JSON.parse(readFileSync(join(home, 'processes.json'), 'utf8')) as {
      name: string;
      pid: number;
    }[];
    const billing = recorded.find((entry) => entry.name === 'billing')!;
    process.kill(billing.pid, 'SIGKILL');
    expect(await run.exited).toBe(1);
    expect(run.output()).toMatch(/!!! billing crashed \(exit code none, signal SIGKILL\) !!!/);
    expect(processesOfHome()).toEqual([]);
  });
});
