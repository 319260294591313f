import { createServer, type Server } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import { CallbackSender } from './callbacks';
import { perSecondLimit } from './perSecondLimit';
import { callRoutes } from './calls/routes';
import { Counters } from './counters';
import { SimError } from './errors';
import { HoldRequest, NumberStore } from './numbers/numberStore';
import { numbersRouter, parse } from './numbers/routes';
import { smscRouter } from './smsc/routes';
import { startSmsc, type Smsc } from './smsc/smsc';
import type { SimConfig } from './config';

export interface CarrierSim {
  /** Base URL of the HTTP API, e.g. `http://127.0.0.1:4010`. */
  url: string;
  counters: Counters;
  numbers: NumberStore;
  /** The SMSC: where ESMEs bind (SMPP 3.4). */
  smpp: { host: string; port: number };
  smsc: Smsc;
  stop(): Promise<void>;
}

/**
 * The outage switch: while it is on, every API call answers 503 with Retry-After and nothing moves on;
 * when it ends, what was due happens.
 */
class Outage {
  private until = 0;
  private timer?: NodeJS.Timeout;

  constructor(private readonly onEnd: () => void) {}

  active(): boolean {
    return Date.now() < this.until;
  }

  retryAfterSeconds(): number {
    return Math.max(1, Math.ceil((this.until - Date.now()) / 1000));
  }

  start(seconds: number): void {
    this.until = Date.now() + seconds * 1000;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.onEnd(), seconds * 1000 + 5);
    this.timer.unref();
  }

  clear(): void {
    this.until = 0;
    clearTimeout(this.timer);
    this.onEnd();
  }

  close(): void {
    clearTimeout(this.timer);
  }
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function errorBody(code: string, message: string, field?: string) {
  return { error: { code, message, ...(field ? { field } : {}) } };
}

/**
 * Composes the simulator: the shared parts (API key check, outage switch, counters, signed callbacks, the
 * control API under `/control`), the carrier's number products mounted under `/v1`, and its SMSC: an SMPP
 * listener of its own with its HTTP side under `/smsc`; and the calls it carries (`/control/calls`, whose
 * call detail records go out as signed callbacks, and `/v1/recordings`).
 */
export async function startCarrierSim(config: SimConfig): Promise<CarrierSim> {
  const counters = new Counters();
  const log = (message: string) => console.error(JSON.stringify({ level: 'warn', msg: message }));
  const callbacks = new CallbackSender({
    secret: config.callbackSecret,
    maxAttempts: config.callbackMaxAttempts,
    retryDelayMs: config.callbackRetryDelayMs,
    counters,
    onError: log,
  });
  // When an outage ends, what fell due during it happens.
  const outage = new Outage(() => numbers.advance());
  const numbers = new NumberStore({
    orderDelayMs: config.orderDelayMs,
    portStepMs: config.portStepMs,
    perRange: config.numbersPerRange,
    seed: config.seed,
    counters,
    callbacks,
    paused: () => outage.active(),
  });
  const held = new Set<Response>();
  const smsc = await startSmsc({
    host: config.host,
    port: config.smppPort,
    systemId: config.smppSystemId,
    password: config.smppPassword,
    latencyMs: config.smppLatencyMs,
    maxTps: config.smppMaxTps,
    maxWindow: config.smppMaxWindow,
    retryMs: config.smppRetryMs,
    dlrDelayMs: config.dlrDelayMs,
    dlrSlowMs: config.dlrSlowMs,
    paused: () => outage.active(),
    onError: log,
  });

  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.get('/healthz', (_request, response) => {
    response.json({ status: 'ok' });
  });

  const authenticate = (request: Request, response: Response, next: NextFunction) => {
    const header = request.get('authorization') ?? '';
    const match = /^Bearer (.+)$/.exec(header);
    if (!match || !sameSecret(match[1]!, config.apiKey)) {
      counters.add('unauthorized');
      response
        .status(401)
        .set('www-authenticate', 'Bearer')
        .json(errorBody('unauthorized', 'a valid API key is required (Authorization: Bearer <key>)'));
      return;
    }
    next();
  };
  const json = express.json({ limit: '100kb' });

  // Control API for tests and operators: never subject to the outage it controls.
  const control = express.Router();
  control.post('/outage', (request, response) => {
    const { seconds } = parse(z.object({ seconds: z.number().positive().max(3600) }), request.body);
    outage.start(seconds);
    // The SMSC fails as a whole: its sessions drop and connections are refused until the outage ends.
    smsc.dropSessions();
    counters.add('outagesStarted');
    response.json({ data: { until: new Date(Date.now() + seconds * 1000).toISOString() } });
  });
  control.delete('/outage', (_request, response) => {
    outage.clear();
    response.status(204).end();
  });
  control.get('/counters', (_request, response) => {
    response.json({ data: counters.snapshot() });
  });
  // The server's own address, known once it listens (recording URLs in CDRs point at it).
  let baseUrl = '';
  const calls = callRoutes({ callbacks, counters, baseUrl: () => baseUrl });
  control.use(calls.control);
  app.use('/control', authenticate, json, control);
  app.use('/smsc', authenticate, json, smscRouter(smsc));

  const api = express.Router();
  api.use((_request, response, next) => {
    if (!outage.active()) return next();
    counters.add('outageRejections');
    response
      .status(503)
      .set('retry-after', String(outage.retryAfterSeconds()))
      .json(errorBody('service_unavailable', 'the carrier is temporarily unavailable'));
  });
  if (config.rateLimitPerSecond > 0) {
    // Throttling as carriers do it: a fixed budget per second, then 429 with Retry-After.
    api.use(
      perSecondLimit(config.rateLimitPerSecond, (response, retryAfterSeconds) => {
        counters.add('throttled');
        response
          .status(429)
          .set('retry-after', String(retryAfterSeconds))
          .json(errorBody('rate_limited', 'too many requests; slow down'));
      }),
    );
  }
  if (config.latencyMs > 0)
    api.use((_request, _response, next) => {
      setTimeout(next, config.latencyMs);
    });
  api.use(numbersRouter(numbers));
  api.use(calls.api);
  app.use('/v1', authenticate, json, api);

  app.use((_request: Request, response: Response) => {
    response.status(404).json(errorBody('not_found', 'no such endpoint'));
  });
  app.use((error: unknown, _request: Request, response: Response, _next: NextFunction) => {
    if (error instanceof HoldRequest) {
      // The `…9992` magic numbers: keep the request open well past any client timeout.
      counters.add('requestsHeld');
      held.add(response);
      const timer = setTimeout(() => {
        held.delete(response);
        if (!response.headersSent)
          response.status(504).json(errorBody('timeout', 'the carrier did not answer in time'));
      }, config.holdMs);
      timer.unref();
      response.on('close', () => {
        clearTimeout(timer);
        held.delete(response);
      });
      return;
    }
    if (error instanceof SimError) {
      response.status(error.status).json(errorBody(error.code, error.message, error.field));
      return;
    }
    const status = (error as { status?: number; type?: string }).status;
    if (status && status >= 400 && status < 500) {
      // body-parser's errors: malformed JSON, too large, wrong content type
      response.status(status).json(errorBody('invalid_request', (error as Error).message));
      return;
    }
    log(`unexpected error: ${(error as Error).message}`);
    response.status(500).json(errorBody('internal', 'internal error'));
  });

  const server: Server = createServer(app);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => resolve());
    });
  } catch (error) {
    await smsc.stop();
    throw error;
  }
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  baseUrl = `http://${config.host}:${port}`;
  return {
    url: baseUrl,
    counters,
    numbers,
    smpp: { host: smsc.host, port: smsc.port },
    smsc,
    stop: async () => {
      await smsc.stop();
      numbers.close();
      outage.close();
      for (const response of held) response.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
