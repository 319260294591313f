import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';

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
    if (port) return handOut(port);
  }
  const port = await tryListen(0);
  if (!port) throw new Error('no free TCP port on 127.0.0.1');
  return handOut(port);
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
  if (previous && !handedOut.has(previous) && (await tryListen(previous)) === previous)
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
