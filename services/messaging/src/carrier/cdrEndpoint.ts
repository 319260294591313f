import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { CARRIER_CALLBACK_HEADERS, verifyCarrierCallback, type Logger } from '@parley/kit';
import { callDetailRecordSchema, carrierCallbackSchema, type CallDetailRecord } from '../domain/calls';
import type { CallRecordOutcome } from './calls';

/** The path the carrier posts call detail records to. */
export const CDR_PATH = '/carrier/cdrs';
const MAX_BODY_BYTES = 64 * 1024;

class BodyTooLarge extends Error {}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
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

function answer(
  response: ServerResponse,
  status: number,
  body: object,
  headers: Record<string, string> = {},
) {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
}

const problem = (code: string, message: string) => ({ error: { code, message } });

export interface CdrEndpoint {
  /** Where it listens, e.g. `http://127.0.0.1:8090` (the carrier posts to this + CDR_PATH). */
  url: string;
  stop(): Promise<void>;
}

/**
 * The carrier's door into messaging for call detail records: `POST /carrier/cdrs` with a signed callback
 * (tools/carrier-sim/README.md, "Callbacks"). A signature that does not verify under the callback secret is
 * refused (401) before the body is read as anything; a body that is no CDR is refused (400, naming the
 * field); a record is answered 200 once it is stored (or known as a resend, or dropped by rule), and 503
 * when it could not be stored now (the carrier sends it again). Nothing from the body is logged.
 */
export async function startCdrEndpoint(options: {
  host: string;
  port: number;
  secret: string;
  record: (cdr: CallDetailRecord) => Promise<CallRecordOutcome>;
  log: Logger;
}): Promise<CdrEndpoint> {
  const { log } = options;
  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const path = (request.url ?? '').split('?', 1)[0];
    if (path !== CDR_PATH) return answer(response, 404, problem('not_found', 'no such endpoint'));
    if (request.method !== 'POST')
      return answer(response, 405, problem('method_not_allowed', 'only POST'), { allow: 'POST' });
    let body: string;
    try {
      body = await readBody(request);
    } catch (error) {
      if (error instanceof BodyTooLarge)
        return answer(response, 413, problem('too_large', `at most ${MAX_BODY_BYTES} bytes`));
      throw error;
    }
    const header = (name: string) => {
      const value = request.headers[name];
      return Array.isArray(value) ? value[0] : value;
    };
    const verified = verifyCarrierCallback({
      secret: options.secret,
      body,
      timestamp: header(CARRIER_CALLBACK_HEADERS.timestamp),
      signature: header(CARRIER_CALLBACK_HEADERS.signature),
    });
    if (!verified) {
      log.warn('carrier callback with a missing, wrong or stale signature: refused');
      return answer(response, 401, problem('bad_signature', 'the signature does not verify'));
    }
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      return answer(response, 400, problem('invalid_json', 'the body is not JSON'));
    }
    const callback = carrierCallbackSchema.safeParse(json);
    if (!callback.success) return answer(response, 400, problem('invalid_callback', issueOf(callback.error)));
    if (callback.data.type !== 'call.completed')
      // Another kind of carrier event: acknowledged, so the carrier stops sending it; nothing to do here.
      return answer(response, 200, { outcome: 'ignored' });
    const cdr = callDetailRecordSchema.safeParse(callback.data.data);
    if (!cdr.success) return answer(response, 400, problem('invalid_cdr', `data.${issueOf(cdr.error)}`));
    const outcome = await options.record(cdr.data);
    return answer(response, 200, { outcome });
  };
  const server: Server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      // The database or numbering could not be reached: the carrier resends later.
      // Only the error's kind: a database message can quote the row.
      const kind = { name: (error as Error).name, code: (error as { code?: unknown }).code };
      log.error({ err: kind }, 'call record not stored; the carrier resends');
      if (!response.headersSent)
        answer(response, 503, problem('unavailable', 'not stored; send it again later'), {
          'retry-after': '5',
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

function issueOf(error: { issues: { path: PropertyKey[]; message: string }[] }): string {
  const issue = error.issues[0]!;
  const field = issue.path.map(String).join('.');
  return field ? `${field} ${issue.message}` : issue.message;
}
