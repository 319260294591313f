import { existsSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isAlive } from './processes';

function tryListen(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(undefined));
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : undefined));
    });
  });
}

/**
 * A TCP port on loopback that is free now. Picked at random below the kernel's ephemeral range
 * (32768-60999 on Linux), because ports in that range are also handed out to every outgoing connection
 * and every `listen(0)`, so a port found there is often taken again before our child process binds it.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const candidate = 20_000 + Math.floor(Math.random() * 12_000);
    // A port handed out earlier may not be bound yet by the process it was meant for: never give it twice.
    if (handedOut.has(candidate)) continue;
    const port = await tryListen(candidate);
    // Nor give one another process picked and has not bound yet (parallel test workers, two launchers).
    if (port && claimPort(port)) return handOut(port);
  }
  const port = await tryListen(0);
  if (!port) throw new Error('no free TCP port on 127.0.0.1');
  claimPort(port);
  return handOut(port);
}

/** How long a port picked by one process is kept from the others: long enough for a slow start to bind it. */
const CLAIM_MS = 120_000;

/**
 * Claims `port` for this process among every process on the machine that picks ports here: a file per port
 * in PARLEY_PORTS_DIR (default <tmp>/parley-ports) names the process and when. False when another process
 * that is still running claimed it less than CLAIM_MS ago; a claim of this process, an old one, or one of a
 * process gone is taken over.
 */
export function claimPort(port: number): boolean {
  const dir = process.env.PARLEY_PORTS_DIR || join(tmpdir(), 'parley-ports');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, String(port));
  const mine = `${process.pid} ${Date.now()}`;
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      writeFileSync(file, mine, { flag: 'wx' });
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    let holder = 0;
    let at = 0;
    try {
      [holder = 0, at = 0] = readFileSync(file, 'utf8').split(' ').map(Number);
    } catch {
      // Removed meanwhile: try to create it again.
    }
    if (holder !== process.pid && Date.now() - at < CLAIM_MS && holder > 0 && isAlive(holder)) return false;
    try {
      unlinkSync(file);
    } catch {
      // Another process took it over first; the exclusive create decides.
    }
  }
  return false;
}

/**
 * A port that stays the same across starts, kept in the JSON file `file` under `name` (the dev login
 * server's: its address is the issuer of every token, so a new port would invalidate them all). The kept
 * port when it is free; otherwise a new free one, which is kept from then on, and `replaced` names the
 * old one so the caller can say why tokens stopped working.
 */
export async function keptPort(file: string, name: string): Promise<{ port: number; replaced?: number }> {
  const kept = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, number>) : {};
  const previous = kept[name];
  if (previous && !handedOut.has(previous) && (await tryListen(previous)) === previous && claimPort(previous))
    return { port: handOut(previous) };
  const port = await freePort();
  writeFileSync(file, `${JSON.stringify({ ...kept, [name]: port }, null, 2)}\n`);
  return previous ? { port, replaced: previous } : { port };
}

/**
 * Marks a port chosen elsewhere (the gateway's PORT) as taken, so `freePort` never hands it to another
 * process of this launcher while its owner has not bound it yet.
 */
export function reservePort(port: number): void {
  handOut(port);
}

/** Every port this process has handed out (a launcher picks about fifteen before any is bound). */
const handedOut = new Set<number>();

function handOut(port: number): number {
  handedOut.add(port);
  return port;
}

/** Resolves once something accepts TCP connections on host:port, or rejects after `timeoutMs`. */
export async function waitForPort(port: number, timeoutMs: number, host = '127.0.0.1'): Promise<void> {
  const { connect } = await import('node:net');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect({ port, host });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`nothing listening on ${host}:${port} after ${timeoutMs} ms`);
}
