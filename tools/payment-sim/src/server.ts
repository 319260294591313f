import { createServer, type Server } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import { SimError } from '@parley/carrier-sim/src/errors';
import { parse } from '@parley/carrier-sim/src/numbers/routes';
import { perSecondLimit } from '@parley/carrier-sim/src/perSecondLimit';
import type { PaymentSimConfig } from './config';
import { CardDeclined, Processor } from './processor';
import { Tally } from './tally';
import { WebhookSender } from './webhooks';

export interface PaymentSim {
  /** Base URL, e.g. `http://127.0.0.1:4020`. */
  url: string;
  tally: Tally;
  processor: Processor;
  webhooks: WebhookSender;
  stop(): Promise<void>;
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function errorBody(error: SimError, extra: Record<string, unknown> = {}) {
  return {
    error: {
      code: error.code,
      message: error.message,
      ...(error.field ? { field: error.field } : {}),
      ...extra,
    },
  };
}

const metadata = z.record(z.string().max(40), z.string().max(500)).default({});
const amount = z.number().int().positive().max(99_999_999);

/**
 * Idempotency as processors offer it: a POST with an `Idempotency-Key` runs once; a repeat with the same
 * body gets the first answer again (declines included), a repeat with another body is refused.
 */
class IdempotencyKeys {
  private readonly answers = new Map<string, { fingerprint: string; status: number; body: unknown }>();

  constructor(private readonly tally: Tally) {}

  run(request: Request, response: Response, work: () => { status: number; body: unknown }): void {
    const key = request.get('idempotency-key');
    if (!key) {
      const { status, body } = work();
      response.status(status).json(body);
      return;
    }
    const fingerprint = `${request.method} ${request.path} ${JSON.stringify(request.body)}`;
    const seen = this.answers.get(key);
    if (seen) {
      if (seen.fingerprint !== fingerprint)
        throw new SimError(
          400,
          'idempotency_key_reused',
          'this Idempotency-Key was used with another request',
          'Idempotency-Key',
        );
      this.tally.add('idempotentReplays');
      response.status(seen.status).set('idempotent-replayed', 'true').json(seen.body);
      return;
    }
    let answer: { status: number; body: unknown };
    try {
      answer = work();
    } catch (error) {
      if (!(error instanceof CardDeclined)) throw error;
      answer = {
        status: error.status,
        body: errorBody(error, { declineCode: error.declineCode, charge: error.charge }),
      };
    }
    this.answers.set(key, { fingerprint, ...answer });
    response.status(answer.status).json(answer.body);
  }
}

/**
 * Composes the simulator: the customer-side tokenisation endpoint (publishable key), the merchant API
 * (secret key: charges, refunds, events), the cardholder's 3-D Secure page, and the control API for tests.
 */
export async function startPaymentSim(config: PaymentSimConfig): Promise<PaymentSim> {
  const tally = new Tally();
  const log = (message: string) => console.error(JSON.stringify({ level: 'warn', msg: message }));
  const webhooks = new WebhookSender({
    secret: config.webhookSecret,
    endpoint: config.webhookUrl,
    maxAttempts: config.webhookMaxAttempts,
    retryMs: config.webhookRetryMs,
    tally,
    onError: log,
  });
  let baseUrl = '';
  const processor = new Processor({
    webhooks,
    tally,
    authenticateAfterMs: config.authenticateAfterMs,
    actionExpiresAfterMs: config.actionExpiresAfterMs,
    baseUrl: () => baseUrl,
  });
  const idempotency = new IdempotencyKeys(tally);
  let throttleNext = 0;

  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  const json = express.json({ limit: '100kb' });
  app.get('/healthz', (_request, response) => {
    response.json({ status: 'ok' });
  });

  const requireKey = (keys: string[]) => (request: Request, response: Response, next: NextFunction) => {
    const given = /^Bearer (.+)$/.exec(request.get('authorization') ?? '')?.[1];
    if (!given || !keys.some((key) => sameSecret(given, key))) {
      tally.add('unauthorized');
      response
        .status(401)
        .set('www-authenticate', 'Bearer')
        .json(
          errorBody(
            new SimError(401, 'unauthorized', 'a valid API key is required (Authorization: Bearer <key>)'),
          ),
        );
      return;
    }
    next();
  };

  const api = express.Router();
  api.use((_request, response, next) => {
    // Counted on arrival, before throttling or latency: a test can see a request is in flight.
    tally.add('requestsReceived');
    if (throttleNext <= 0) return next();
    throttleNext -= 1;
    tally.add('throttled');
    response
      .status(429)
      .set('retry-after', '1')
      .json(
        errorBody(new SimError(429, 'rate_limited', 'too many requests; retry after Retry-After seconds')),
      );
  });
  if (config.rateLimitPerSecond > 0)
    api.use(
      perSecondLimit(config.rateLimitPerSecond, (response, retryAfterSeconds) => {
        tally.add('throttled');
        response
          .status(429)
          .set('retry-after', String(retryAfterSeconds))
          .json(errorBody(new SimError(429, 'rate_limited', 'too many requests; slow down')));
      }),
    );
  if (config.latencyMs > 0) {
    // The body is read on arrival: a client that gives up during the delay does not stop its charge,
    // as with a real processor.
    api.use(json);
    api.use((_request, _response, next) => {
      setTimeout(next, config.latencyMs);
    });
  }

  // Tokenisation happens in the customer's browser, with the publishable key: the card never touches the
  // merchant's servers. Open to any origin, as a processor's client library needs.
  api.options('/tokens', (_request, response) => {
    response
      .set({
        'access-control-allow-origin': '*',
        'access-control-allow-headers': 'authorization, content-type',
        'access-control-allow-methods': 'POST',
      })
      .status(204)
      .end();
  });
  api.post('/tokens', requireKey([config.publishableKey]), json, (request, response) => {
    const { card } = parse(
      z.object({
        card: z.object({
          number: z.string().min(1).max(40),
          expMonth: z.number().int().min(1).max(12),
          expYear: z.number().int().min(2000).max(2100),
          cvc: z.string().max(4),
        }),
      }),
      request.body,
    );
    response.set('access-control-allow-origin', '*').status(201).json(processor.tokenise(card));
  });

  const merchant = express.Router();
  merchant.use(requireKey([config.secretKey]), json);
  // The merchant's server reads what a token stands for (brand, last four, expiry), never the number.
  merchant.get('/tokens/:id', (request, response) => {
    response.json(processor.getToken(String(request.params.id)));
  });
  // Detaching a card (Stripe's DELETE of a source): the token is forgotten, later charges get 404.
  merchant.delete('/tokens/:id', (request, response) => {
    response.json(processor.detachToken(String(request.params.id)));
  });
  merchant.post('/charges', (request, response) => {
    const input = parse(
      z.object({
        amount,
        currency: z.string().regex(/^[a-z]{3}$/, 'must be a lowercase ISO 4217 code'),
        token: z.string().min(1).max(100),
        description: z.string().max(500).optional(),
        metadata,
      }),
      request.body,
    );
    idempotency.run(request, response, () => ({ status: 201, body: processor.charge(input) }));
  });
  // Stripe's search query language, the one clause a merchant needs to find its own charge again:
  // metadata['key']:'value' (a charge whose answer it never got: its own id is in the metadata).
  merchant.get('/charges/search', (request, response) => {
    const { query } = parse(z.object({ query: z.string().max(300) }), request.query);
    const clause = /^metadata\['([A-Za-z0-9_]{1,40})'\]:'([^']{1,500})'$/.exec(query);
    if (!clause)
      throw new SimError(400, 'invalid_search_query', "query must be metadata['key']:'value'", 'query');
    response.json({
      object: 'search_result',
      data: processor.searchCharges(clause[1]!, clause[2]!),
      has_more: false,
    });
  });
  merchant.get('/charges/:id', (request, response) => {
    response.json(processor.getCharge(String(request.params.id)));
  });
  merchant.post('/refunds', (request, response) => {
    const input = parse(
      z.object({ charge: z.string().min(1).max(100), amount: amount.optional(), metadata }),
      request.body,
    );
    idempotency.run(request, response, () => ({ status: 201, body: processor.refund(input) }));
  });
  merchant.get('/events', (_request, response) => {
    response.json({ data: webhooks.list() });
  });
  api.use(merchant);
  app.use('/v1', api);

  // The cardholder's 3-D Secure page (their bank's, in real life): no merchant key, the charge id is the link.
  app.post('/authenticate/:id', json, (request, response) => {
    const { outcome } = parse(z.object({ outcome: z.enum(['approve', 'deny']) }), request.body ?? {});
    response.json(processor.authenticate(String(request.params.id), outcome));
  });

  const control = express.Router();
  control.use(requireKey([config.secretKey]), json);
  control.put('/webhook-endpoint', (request, response) => {
    const { url } = parse(z.object({ url: z.url({ protocol: /^https?$/ }).nullable() }), request.body);
    webhooks.setEndpoint(url ?? undefined);
    response.json({ url });
  });
  control.post('/webhooks/hold', (_request, response) => {
    webhooks.hold();
    response.status(204).end();
  });
  control.post('/webhooks/release', (request, response) => {
    const options = parse(
      z.object({
        order: z.enum(['created', 'reverse']).default('created'),
        copies: z.number().int().min(1).max(10).default(1),
      }),
      request.body ?? {},
    );
    response.json({ released: webhooks.release(options) });
  });
  control.post('/events/:id/resend', (request, response) => {
    if (!webhooks.resend(String(request.params.id))) throw new SimError(404, 'not_found', 'no such event');
    response.status(202).json({ resent: request.params.id });
  });
  control.post('/throttle', (request, response) => {
    throttleNext = parse(z.object({ requests: z.number().int().min(0).max(1000) }), request.body).requests;
    response.json({ throttling: throttleNext });
  });
  control.get('/counters', (_request, response) => {
    response.json({ data: tally.snapshot() });
  });
  app.use('/control', control);

  app.use((_request: Request, response: Response) => {
    response.status(404).json(errorBody(new SimError(404, 'not_found', 'no such endpoint')));
  });
  app.use((error: unknown, _request: Request, response: Response, _next: NextFunction) => {
    if (error instanceof CardDeclined) {
      response
        .status(error.status)
        .json(errorBody(error, { declineCode: error.declineCode, charge: error.charge }));
      return;
    }
    if (error instanceof SimError) {
      response.status(error.status).json(errorBody(error));
      return;
    }
    const status = (error as { status?: number }).status;
    if (status && status >= 400 && status < 500) {
      // body-parser's errors: malformed JSON, too large. Its message can quote the body (a card number):
      // the answer says only what is wrong.
      response
        .status(status)
        .json(errorBody(new SimError(status, 'invalid_request', 'the body is not valid JSON')));
      return;
    }
    log(`unexpected error: ${(error as Error).name}`);
    response.status(500).json(errorBody(new SimError(500, 'internal', 'internal error')));
  });

  const server: Server = createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  baseUrl = `http://${config.host}:${port}`;
  return {
    url: baseUrl,
    tally,
    processor,
    webhooks,
    stop: async () => {
      processor.close();
      webhooks.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
