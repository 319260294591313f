import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, jest } from '@jest/globals';
import { claimPort, freePort, keptPort, reservePort } from './ports';

// Claims of this file's ports go to a directory of its own, not the one other processes on the machine use.
process.env.PARLEY_PORTS_DIR = mkdtempSync(join(tmpdir(), 'parley-port-claims-'));

describe('freePort', () => {
  it('never hands out the same port twice in one process, since none is bound before all are picked', async () => {
    // A launcher picks every port before its services bind them; 300 picks from the 12,000-port range
    // would repeat a port most of the time if picks were independent.
    const ports: number[] = [];
    for (let index = 0; index < 300; index += 1) ports.push(await freePort());
    expect(new Set(ports).size).toBe(ports.length);
    expect(ports.every((port) => port >= 1 && port <= 65_535)).toBe(true);
  });

  it('never hands out a port reserved for a process that binds it later (the gateway)', async () => {
    // Reserve most of the range: every pick must then come from the rest.
    const reserved = new Set<number>();
    for (let port = 20_000; port < 31_900; port += 1) {
      reservePort(port);
      reserved.add(port);
    }
    for (let index = 0; index < 20; index += 1) expect(reserved.has(await freePort())).toBe(false);
  });
});

describe('claimPort', () => {
  const claims = process.env.PARLEY_PORTS_DIR!;

  it("refuses a port another running process claimed lately, and takes over this process's own", () => {
    expect(claimPort(24_001)).toBe(true);
    expect(claimPort(24_001)).toBe(true);
    // The parent process (Jest's) is running.
    writeFileSync(join(claims, '24002'), `${process.ppid} ${Date.now()}`);
    expect(claimPort(24_002)).toBe(false);
  });

  it('takes over a claim that is old, or whose process is gone', () => {
    writeFileSync(join(claims, '24003'), `${process.ppid} ${Date.now() - 10 * 60_000}`);
    expect(claimPort(24_003)).toBe(true);
    expect(readFileSync(join(claims, '24003'), 'utf8')).toMatch(new RegExp(`^${process.pid} `));
    // Pids are below 2^22 on Linux.
    writeFileSync(join(claims, '24004'), `${2 ** 22 + 1} ${Date.now()}`);
    expect(claimPort(24_004)).toBe(true);
    writeFileSync(join(claims, '24005'), 'not a claim');
    expect(claimPort(24_005)).toBe(true);
  });

  it('makes freePort skip ports claimed by another process', async () => {
    for (let port = 20_000; port < 31_900; port += 1)
      writeFileSync(join(claims, String(port)), `${process.ppid} ${Date.now()}`);
    for (let index = 0; index < 10; index += 1) {
      const port = await freePort();
      expect(port < 20_000 || port >= 31_900).toBe(true);
    }
  });
});

describe('keptPort', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'parley-ports-')), 'ports.json');

  it('gives the same port on every start, and a new one (kept from then on) when that one is taken', async () => {
    const first = await keptPort(file, 'login');
    expect(first.replaced).toBeUndefined();
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ login: first.port });

    // A later start is another process: it has handed out nothing yet.
    jest.resetModules();
    const again = await (require('./ports') as typeof import('./ports')).keptPort(file, 'login');
    expect(again).toEqual({ port: first.port });

    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(first.port, '127.0.0.1', resolve));
    try {
      jest.resetModules();
      const moved = await (require('./ports') as typeof import('./ports')).keptPort(file, 'login');
      expect(moved.replaced).toBe(first.port);
      expect(moved.port).not.toBe(first.port);
      expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ login: moved.port });
    } finally {
      squatter.close();
    }
  });
});
