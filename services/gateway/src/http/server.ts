import express, { type NextFunction, type Request, type Response } from 'express';
import type { Server } from 'node:http';
import { grants, type Caller, type Logger } from '@parley/kit';
import type { z } from './zod';
import { expressPath, type Route } from './route';
import { HttpProblem, sendProblem, toProblem } from './problem';
import {
  AUTHENTICATION_REQUIRED,
  BODY_NOT_JSON,
  BODY_TOO_LARGE,
  METHOD_NOT_ALLOWED,
  ROUTE_NOT_FOUND,
  SCOPE_MISSING,
  VALIDATION_FAILED,
} from '../domain/errors';

export interface HttpDependencies {
  routes: Route[];
  openApiDocument: () => object;
  /** Resolves a bearer credential to a caller, or throws (401). */
  authenticate: (credential: string, origin: { ip: string; userAgent: string }) => Promise<Caller>;
  /** Called once a request with a known caller has been answered. */
  recordAccess?: (entry: AccessEntry) => void;
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

function handle(route: Route, deps: HttpDependencies): Handler {
  return async (request, response) => {
    const started = process.hrtime.bigint();
    let caller: Caller | undefined;
    if (route.scope) {
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
      caller = await deps.authenticate(credential, {
        ip: request.ip ?? '',
        userAgent: request.get('user-agent') ?? '',
      });
      if (!grants(caller.scopes, route.scope)) {
        throw new HttpProblem(403, SCOPE_MISSING, `this operation needs the ${route.scope} scope`);
      }
    }
    const problems = [];
    const query = route.query?.safeParse(request.query);
    if (query && !query.success) problems.push(...violations(query.error));
    const params = route.params?.safeParse(request.params);
    if (params && !params.success) problems.push(...violations(params.error));
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
    try {
      const result = await route.handler({
        query: query?.data,
        params: params?.data,
        body: body?.data,
        caller: caller as Caller,
        request,
      });
      const status = route.statusFor?.(result) ?? route.response.status;
      const file = (result as { file?: { name: string; body: Buffer } } | undefined)?.file;
      if (file && Buffer.isBuffer(file.body)) {
        // A download: the bytes as they are, never cached.
        response
          .status(status)
          .type(route.response.contentType ?? 'application/octet-stream')
          .set({ 'Content-Disposition': `attachment; filename="${file.name}"`, 'Cache-Control': 'no-store' })
          .send(file.body);
      } else {
        response
          .status(status)
          .type(route.response.contentType ?? 'application/json')
          .send(JSON.stringify(result));
      }
    } finally {
      if (caller) {
        deps.recordAccess?.({
          caller,
          method: route.method.toUpperCase(),
          route: route.path,
          status: response.headersSent ? response.statusCode : 500,
          durationMs: Number(process.hrtime.bigint() - started) / 1e6,
          ip: request.ip ?? '',
          userAgent: request.get('user-agent') ?? '',
        });
      }
    }
  };
}

/** The express application: JSON body parsing, the route table, and problem+json for every failure. */
export function createHttpApp(deps: HttpDependencies): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback, linklocal, uniquelocal');
  app.set('query parser', 'simple');
  app.use(express.json({ limit: '1mb', type: ['application/json', 'application/*+json'] }));
  app.get('/v1/openapi.json', (_request, response) => {
    response.json(deps.openApiDocument());
  });
  const methodsByPath = new Map<string, string[]>();
  for (const route of deps.routes) {
    const path = expressPath(route.path);
    methodsByPath.set(path, [...(methodsByPath.get(path) ?? []), route.method.toUpperCase()]);
    app[route.method](path, handle(route, deps));
  }
  for (const [path, methods] of methodsByPath) {
    app.all(path, (request, response) => {
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
    if (problem.status >= 500) deps.log.error({ err: error, route: request.path }, 'request failed');
    sendProblem(response, problem, headers);
  });
  return app;
}

export function listen(app: express.Express, port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host, (error?: Error) => (error ? reject(error) : resolve(server)));
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
