import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from '../logging';

export interface CallbackAnswer {
  status: number;
  body: object;
  headers?: Record<string, string>;
}

export interface CallbackServer {
  /** Where it listens, e.g. `http://127.0.0.1:8091` (callers post to this + the path). */
  url: string;
  stop(): Promise<void>;
}

class BodyTooLarge extends Error {}

function readBody(request: IncomingMessage, maxBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        reject(new BodyTooLarge());
        request.resume();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function send(response: ServerResponse, answer: CallbackAnswer): void {
  response.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
  response.end(JSON.stringify(answer.body));
}

/**
 * A small HTTP server for a third party's signed callbacks (a payment processor's webhooks): one path,
 * POST only, the raw body handed over as text (signatures are over the exact bytes) with the headers.
 * `handle` answers; when it throws (the database is down), the answer is 503 + Retry-After so the sender
 * tries again, and the log says only the error's kind (a database message can quote the row).
 */
export async function startCallbackServer(options: {
  host: string;
  port: number;
  path: string;
  maxBodyBytes: number;
  handle: (body: string, headers: Record<string, string | undefined>) => Promise<CallbackAnswer>;
  log: Logger;
}): Promise<CallbackServer> {
  const problem = (code: string, message: string) => ({ error: { code, message } });
  const serve = async (request: IncomingMessage, response: ServerResponse) => {
    const path = (request.url ?? '').split('?', 1)[0];
    if (path !== options.path)
      return send(response, { status: 404, body: problem('not_found', 'no such endpoint') });
    if (request.method !== 'POST')
      return send(response, {
        status: 405,
        body: problem('method_not_allowed', 'only POST'),
        headers: { allow: 'POST' },
      });
    let body: string;
    try {
      body = await readBody(request, options.maxBodyBytes);
    } catch (error) {
      if (error instanceof BodyTooLarge)
        return send(response, {
          status: 413,
          body: problem('too_large', `at most ${options.maxBodyBytes} bytes`),
        });
      throw error;
    }
    const headers: Record<string, string | undefined> = {};
    for (const [name, value] of Object.entries(request.headers))
      headers[name] = Array.isArray(value) ? value[0] : value;
    send(response, await options.handle(body, headers));
  };
  const server: Server = createServer((request, response) => {
    serve(request, response).catch((error: unknown) => {
      const kind = { name: (error as Error).name, code: (error as { code?: unknown }).code };
      options.log.error({ err: kind }, 'callback not handled; the sender retries');
      if (!response.headersSent)
        send(response, {
          status: 503,
          body: problem('unavailable', 'not handled; send it again later'),
          headers: { 'retry-after': '5' },
        });
      else response.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const host = options.host === '0.0.0.0' ? '127.0.0.1' : options.host;
  return {
    url: `http://${host}:${port}`,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
