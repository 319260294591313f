import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { Server } from 'node:http';
import {
  controlCharacterViolations,
  grants,
  runWithContext,
  type Caller,
  type IdempotencyKeys,
  type Logger,
  type RequestIdentity,
} from '@parley/kit';
import type { z } from './zod';
import { expressPath, scopesOf, type Route } from './route';
import { HttpProblem, problemBody, requestIdOfResponse, sendProblem, toProblem } from './problem';
import { answerClientError } from './clientErrors';
import {
  AUTHENTICATION_REQUIRED,
  BODY_NOT_JSON,
  BODY_TOO_LARGE,
  METHOD_NOT_ALLOWED,
  ROUTE_NOT_FOUND,
  SCOPE_MISSING,
  VALIDATION_FAILED,
  IDEMPOTENCY_KEY_IN_USE,
  IDEMPOTENCY_KEY_REUSED,
  RESOURCE_NOT_FOUND,
  UNSUPPORTED_MEDIA_TYPE,
  CARD_NUMBER_REFUSED,
} from '../domain/errors';
import { cardNumbersIn, noteCardNumberInRawBody } from './cardNumbers';
import { rateLimitOutcome, type GatewayRateLimits } from './rateLimiting';
import {
  forwardedRequestIdOf,
  httpRequestIdOf,
  IDEMPOTENCY_KEY_HEADER,
  idempotencyKeyOf,
  REQUEST_ID_HEADER,
  requestIdentity,
} from './idempotency';

export interface HttpDependencies {
  routes: Route[];
  openApiDocument: () => object;
  /** Resolves a bearer credential to a caller, or throws (401). */
  authenticate: (credential: string, origin: { ip: string; userAgent: string }) => Promise<Caller>;
  /** Called once a request with a known caller has been answered. */
  recordAccess?: (entry: AccessEntry) => void;
  /** Told of each authenticated caller before the route runs (the Global Privacy Control signal). */
  onAuthenticated?: (caller: Caller, request: Request) => void;
  /** Shared rate limits; without them nothing is limited. */
  rateLimits?: GatewayRateLimits;
  /** The Idempotency-Key store; without it the header is ignored. */
  idempotencyKeys?: IdempotencyKeys;
  /**
   * Other API surfaces with their own conventions (the Twilio-compatible API), mounted before the route
   * table under their path prefix; they answer everything under it, errors included.
   */
  mounts?: { path: string; router: express.Router }[];
  /**
   * Proxies whose X-Forwarded-For / -Proto / -Host are believed (addresses, CIDR ranges, or express's
   * `loopback`, `linklocal`, `uniquelocal`); empty: none, the client is the peer address.
   */
  trustedProxies?: string[];
  log: Logger;
}

export interface AccessEntry {
  caller: Caller;
  method: string;
  route: string;
  status: number;
  durationMs: number;
  ip: string;
  userAgent: string;
}

const bearer = /^Bearer\s+(\S+)$/i;

function violations(error: z.ZodError, prefix?: string) {
  return error.issues.map((issue) => ({
    field: [prefix, ...issue.path.map(String)].filter(Boolean).join('.') || prefix || '(body)',
    description: issue.message,
  }));
}

type Handler = (request: Request, response: Response) => Promise<void>;

/** What a handler's result or failure becomes on the wire. */
export interface Answer {
  status: number;
  contentType: string;
  body: Buffer;
  headers: Record<string, string>;
  /** A download streamed as it is made (the body is then empty): its first chunk already read. */
  stream?: AsyncIterable<Buffer>;
}

/**
 * A streamed download: the first chunk is awaited before answering, so a backend that refuses (not found,
 * no permission) still answers with its problem; the rest is piped to the client as it comes.
 */
async function streamAnswer(
  status: number,
  contentType: string,
  file: { name: string; stream: AsyncIterable<Buffer>; length?: number },
): Promise<Answer> {
  const iterator = file.stream[Symbol.asyncIterator]();
  const first = await iterator.next();
  async function* rest(): AsyncIterable<Buffer> {
    if (!first.done) yield first.value;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
  }
  return {
    status,
    contentType,
    body: Buffer.alloc(0),
    headers: {
      'Content-Disposition': `attachment; filename="${file.name}"`,
      'Cache-Control': 'no-store',
      // Known ahead (an archive), the client can tell a download cut short from a complete one.
      ...(file.length !== undefined && Number.isSafeInteger(file.length) && file.length >= 0
        ? { 'Content-Length': String(file.length) }
        : {}),
    },
    stream: rest(),
  };
}

/** Whether a route takes Idempotency-Key: declared, else every authenticated POST. */
export function isIdempotent(route: Route): boolean {
  return route.idempotent ?? (route.method === 'post' && route.scope !== undefined);
}

/** Which limits a route counts against: declared, else the caller's on authenticated routes. */
export function rateLimitOf(route: Route): 'caller' | 'client-ip' | 'none' {
  return route.rateLimit ?? (route.scope ? 'caller' : 'none');
}

/** The caller a request's bearer credential stands for, or a 401. */
async function authenticate(request: Request, deps: HttpDependencies): Promise<Caller> {
  const credential = bearer.exec(request.get('authorization') ?? '')?.[1];
  if (!credential) {
    throw new HttpProblem(
      401,
      AUTHENTICATION_REQUIRED,
      'send `Authorization: Bearer <API key or token>`',
      [],
      {
        'WWW-Authenticate': 'Bearer realm="parley"',
      },
    );
  }
  return deps.authenticate(credential, {
    ip: request.ip ?? '',
    userAgent: request.get('user-agent') ?? '',
  });
}

function requireScope(route: Route, caller: Caller): void {
  if (!scopesOf(route).some((scope) => grants(caller.scopes, scope))) {
    throw new HttpProblem(
      403,
      SCOPE_MISSING,
      `this operation needs the ${scopesOf(route).join(' or ')} scope`,
    );
  }
}

const jsonTypes = ['application/json', 'application/*+json'];

/**
 * Refuses a request carrying a card number (in its path, query or, once read, body) before anything else
 * looks at it: no handler, idempotency record, backend or log line ever holds the digits. The answer names
 * the fields, never the digits.
 */
export function refuseCardNumbers(request: Request, parts: { body: boolean }): void {
  const found = cardNumbersIn(request, parts);
  if (found.length > 0) {
    throw new HttpProblem(
      400,
      CARD_NUMBER_REFUSED,
      `Parley never takes card numbers; tokenise the card with the payment processor and send its token (found in ${found.map((violation) => violation.field).join(', ')})`,
      found,
    );
  }
}

/**
 * Everything wrong with the request's input: a body that is not JSON (415), a path parameter that is not a
 * well-formed id (404: it names no resource), text holding control characters or failing its schema (400,
 * naming each field).
 */
function parseInput(route: Route, request: Request): { query: unknown; params: unknown; body: unknown } {
  refuseCardNumbers(request, { body: true });
  if (route.body && request.is(jsonTypes) === false) {
    throw new HttpProblem(
      415,
      UNSUPPORTED_MEDIA_TYPE,
      'the request body must be JSON: send `Content-Type: application/json`',
      [{ field: 'Content-Type', description: 'must be application/json' }],
      { 'Accept-Post': 'application/json' },
    );
  }
  const params = route.params?.safeParse(request.params);
  if (params && !params.success) {
    const problems = violations(params.error);
    throw new HttpProblem(
      404,
      RESOURCE_NOT_FOUND,
      `no such resource: ${problems.map((p) => `the ${p.field} in the path is not a well-formed one (${p.description})`).join('; ')}`,
      problems,
    );
  }
  const problems = [
    ...controlCharacterViolations(request.query, '(query)'),
    ...controlCharacterViolations(request.body ?? undefined, '(body)'),
  ];
  const query = route.query?.safeParse(request.query);
  if (query && !query.success) problems.push(...violations(query.error));
  const body = route.body?.safeParse(request.body ?? undefined);
  if (body && !body.success) problems.push(...violations(body.error));
  if (problems.length > 0) {
    throw new HttpProblem(
      400,
      VALIDATION_FAILED,
      problems.map((p) => `${p.field}: ${p.description}`).join('; '),
      problems,
    );
  }
  return { query: query?.data, params: params?.data, body: body?.data };
}

/** Runs the route's handler and turns its result into the answer (a download, or JSON). */
async function produce(
  route: Route,
  request: Request,
  caller: Caller | undefined,
  parsed: { query: unknown; params: unknown; body: unknown },
): Promise<Answer> {
  const result = await route.handler({ ...parsed, caller: caller as Caller, request } as never);
  const status = route.statusFor?.(result) ?? route.response.status;
  const file = (
    result as
      { file?: { name: string; body?: Buffer; stream?: AsyncIterable<Buffer>; length?: number } } | undefined
  )?.file;
  if (file?.stream) {
    return streamAnswer(status, route.response.contentType ?? 'application/octet-stream', {
      name: file.name,
      stream: file.stream,
      length: file.length,
    });
  }
  if (file && Buffer.isBuffer(file.body)) {
    // A download: the bytes as they are, never cached.
    return {
      status,
      contentType: route.response.contentType ?? 'application/octet-stream',
      body: file.body,
      headers: { 'Content-Disposition': `attachment; filename="${file.name}"`, 'Cache-Control': 'no-store' },
    };
  }
  return {
    status,
    contentType: route.response.contentType ?? 'application/json',
    body: Buffer.from(JSON.stringify(result)),
    headers: {},
  };
}

function send(response: Response, answer: Answer): void {
  response.status(answer.status).type(answer.contentType).set(answer.headers);
  if (!answer.stream) {
    response.send(answer.body);
    return;
  }
  // A failure after the first bytes can only cut the download short (the status is sent).
  pipeline(Readable.from(answer.stream), response).catch(() => response.destroy());
}

/**
 * Carries out a request that sent an Idempotency-Key: the first attempt runs and its answer is kept
 * (unless it is a 5xx, which the client may retry); a repeat of the same request replays that answer; the
 * same key for another request is a 422, and a repeat while the first still runs a 409. `failureAnswer` says
 * what a failure of the first attempt answers (a problem here, Twilio's error body on the compatibility API).
 */
export async function runIdempotently(
  keys: IdempotencyKeys,
  identity: RequestIdentity,
  run: () => Promise<Answer>,
  failureAnswer: (error: unknown) => Answer,
): Promise<Answer> {
  const claim = await keys.claim(identity);
  if (claim.outcome === 'replay') {
    return {
      status: claim.status,
      contentType: claim.contentType,
      body: claim.body,
      headers: { 'Idempotent-Replayed': 'true' },
    };
  }
  if (claim.outcome === 'mismatch') {
    throw new HttpProblem(
      422,
      IDEMPOTENCY_KEY_REUSED,
      `this ${IDEMPOTENCY_KEY_HEADER} was already used for a different request; use a new key for a new request`,
      [{ field: IDEMPOTENCY_KEY_HEADER, description: 'already used with another method, path or body' }],
    );
  }
  if (claim.outcome === 'in_progress') {
    throw new HttpProblem(
      409,
      IDEMPOTENCY_KEY_IN_USE,
      `a request with this ${IDEMPOTENCY_KEY_HEADER} is still being carried out; retry shortly to get its answer`,
      [],
      { 'Retry-After': String(claim.retryAfterSeconds) },
    );
  }
  let answer: Answer;
  try {
    answer = await run();
  } catch (error) {
    answer = failureAnswer(error);
    if (answer.status >= 500) {
      await keys.release(identity);
      throw error;
    }
  }
  if (answer.status >= 500) await keys.release(identity);
  else await keys.complete(identity, answer);
  return answer;
}

/**
 * Admits a request to its route: the client's rate limit on open routes, then the caller (401), whose
 * access is recorded with the status actually sent once the answer is finished (whatever answered it: a
 * refusal here, the body parser, validation or the handler), then the scope (403) and the caller's limits.
 */
function admit(route: Route, deps: HttpDependencies): Handler {
  const limits = rateLimitOf(route);
  return async (request, response) => {
    const started = process.hrtime.bigint();
    if (limits === 'client-ip' && deps.rateLimits) {
      const { headers, refusal } = rateLimitOutcome(await deps.rateLimits.countClient(request.ip ?? ''));
      response.set(headers);
      if (refusal) throw refusal;
    }
    if (!route.scope) return;
    const caller = await authenticate(request, deps);
    (response.locals as { caller?: Caller }).caller = caller;
    if (deps.recordAccess) {
      const record = deps.recordAccess;
      response.once('finish', () =>
        record({
          caller,
          method: route.method.toUpperCase(),
          route: route.path,
          status: response.statusCode,
          durationMs: Number(process.hrtime.bigint() - started) / 1e6,
          ip: request.ip ?? '',
          userAgent: request.get('user-agent') ?? '',
        }),
      );
    }
    requireScope(route, caller);
    deps.onAuthenticated?.(caller, request);
    if (limits === 'caller' && deps.rateLimits) {
      const { headers, refusal } = rateLimitOutcome(await deps.rateLimits.countCaller(caller));
      response.set(headers);
      if (refusal) throw refusal;
    }
  };
}

function handle(route: Route, deps: HttpDependencies): Handler {
  const idempotent = isIdempotent(route) && deps.idempotencyKeys !== undefined;
  return async (request, response) => {
    const caller = (response.locals as { caller?: Caller }).caller;
    const key = idempotent && caller ? idempotencyKeyOf(request) : undefined;
    const parsed = parseInput(route, request);
    const requestId = forwardedRequestIdOf(requestIdOfResponse(response)!, caller?.tenantId ?? '', key);
    response.locals.forwardedRequestId = requestId;
    const run = () => runWithContext({ requestId }, () => produce(route, request, caller, parsed));
    const answer =
      key && caller && deps.idempotencyKeys
        ? await runIdempotently(deps.idempotencyKeys, requestIdentity(request, caller, key), run, (error) => {
            const { problem, headers } = toProblem(error, request.path);
            return {
              status: problem.status,
              contentType: 'application/problem+json',
              body: problemBody(response, problem),
              headers,
            };
          })
        : await run();
    send(response, answer);
  };
}

/**
 * Runs an async step, then passes on to the next one (unless it is the last, which has answered), or to
 * the error handler with what it threw.
 */
export function step(work: Handler, last = false): RequestHandler {
  return (request, response, next) => {
    work(request, response).then(() => (last ? undefined : next()), next);
  };
}

/** The express application: JSON body parsing, the route table, and problem+json for every failure. */
export function createHttpApp(deps: HttpDependencies): express.Express {
  const app = express();
  app.disable('x-powered-by');
  // X-Forwarded-* are believed only from the proxies the operator named: anyone else could claim any
  // address (and it would become a sign-up IP, an access-log entry, a rate-limit key).
  app.set('trust proxy', deps.trustedProxies && deps.trustedProxies.length > 0 ? deps.trustedProxies : false);
  app.set('query parser', 'simple');
  app.use((request, response, next) => {
    const requestId = httpRequestIdOf(request);
    response.locals.requestId = requestId;
    // Answers carry tenants' data, credentials and people's personal data: no cache may keep them, and no
    // browser may guess another type than the one declared.
    response.set({
      [REQUEST_ID_HEADER]: requestId,
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
    });
    next();
  });
  for (const mount of deps.mounts ?? []) app.use(mount.path, mount.router);
  // A card number in the path or query is refused before authentication, so not even the access log
  // records the request; one in the body as soon as the body is read.
  app.use((request, _response, next) => {
    refuseCardNumbers(request, { body: false });
    next();
  });
  const json = express.json({ limit: '1mb', type: jsonTypes, verify: noteCardNumberInRawBody });
  app.get('/v1/openapi.json', async (request, response) => {
    // Open to anyone, so limited per client address like every other open route that asks for it.
    if (deps.rateLimits) {
      const { headers, refusal } = rateLimitOutcome(await deps.rateLimits.countClient(request.ip ?? ''));
      response.set(headers);
      if (refusal) throw refusal;
    }
    response.json(deps.openApiDocument());
  });
  const methodsByPath = new Map<string, string[]>();
  for (const route of deps.routes) {
    const path = expressPath(route.path);
    methodsByPath.set(path, [...(methodsByPath.get(path) ?? []), route.method.toUpperCase()]);
    // The body is read only once the caller is known, so a refusal of it is recorded against the caller.
    app[route.method](path, step(admit(route, deps)), json, step(handle(route, deps), true));
  }
  for (const [path, methods] of methodsByPath) {
    app.all(path, (request, response, next) => {
      // `/v1/accounts/` is `/v1/accounts/{accountId}` with an empty id, not the collection with another
      // method: no such resource (404), rather than 405 for a route the caller did not mean.
      if (request.path.length > 1 && request.path.endsWith('/')) return next();
      const allowed = methods.join(', ');
      const { problem } = toProblem(
        new HttpProblem(405, METHOD_NOT_ALLOWED, `${request.method} is not allowed here; use ${allowed}`),
        request.path,
      );
      sendProblem(response, problem, { Allow: allowed });
    });
  }
  app.use((request, response) => {
    const { problem } = toProblem(
      new HttpProblem(
        404,
        ROUTE_NOT_FOUND,
        `no route ${request.method} ${request.path}; see /v1/openapi.json`,
      ),
      request.path,
    );
    sendProblem(response, problem);
  });
  app.use((error: unknown, request: Request, response: Response, _next: NextFunction) => {
    let failure = error;
    const type = (error as { type?: string })?.type;
    if (type === 'entity.parse.failed')
      failure = new HttpProblem(400, BODY_NOT_JSON, 'the request body is not valid JSON');
    if (type === 'entity.too.large')
      failure = new HttpProblem(413, BODY_TOO_LARGE, 'the request body is larger than 1 MB');
    const { problem, headers } = toProblem(failure, request.path);
    if (problem.status >= 500)
      deps.log.error(
        {
          err: error,
          route: request.path,
          request_id: requestIdOfResponse(response),
          // What the services logged it under, when an Idempotency-Key made it another id.
          forwarded_request_id: (response.locals as { forwardedRequestId?: string }).forwardedRequestId,
        },
        'request failed',
      );
    sendProblem(response, problem, headers);
  });
  return app;
}

export function listen(app: express.Express, port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host, (error?: Error) => (error ? reject(error) : resolve(server)));
    // Node answers a request it cannot parse (a header block over the limit, broken HTTP) with a bare
    // status line; this answers problem+json like every other refusal.
    server.on('clientError', answerClientError);
  });
}

export function close(server: Server, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.closeAllConnections();
      resolve();
    }, timeoutMs);
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    server.closeIdleConnections();
  });
}
