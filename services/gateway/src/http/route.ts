import type { Request } from 'express';
import type { Caller, Scope } from '@parley/kit';
import type { z } from './zod';
import type { ProblemCode } from './problemCodes';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface HandlerInput<Query, Params, Body> {
  query: Query;
  params: Params;
  body: Body;
  /** The verified caller; present on every route that declares a scope. */
  caller: Caller;
  request: Request;
}

/**
 * One public route: its OpenAPI description and its implementation come from the same object, so a
 * route cannot exist undocumented, and what the document promises is what the validator enforces.
 */
export interface Route<
  Query extends z.ZodType = z.ZodType,
  Params extends z.ZodType = z.ZodType,
  Body extends z.ZodType = z.ZodType,
  Result extends z.ZodType = z.ZodType,
> {
  method: Method;
  /** OpenAPI-style path, e.g. `/v1/api-keys/{id}`. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  /** The scope a caller needs, or a list of which any one will do; routes without one are public. */
  scope?: Scope | readonly Scope[];
  query?: Query;
  params?: Params;
  body?: Body;
  response: { status: number; description: string; schema: Result; contentType?: string };
  /** Other documented outcomes that answer with the same schema (e.g. 503 from /readyz). */
  alternateStatuses?: Record<number, string>;
  /**
   * Whether the route honours `Idempotency-Key` (replay of the first answer for a repeated request).
   * Default: every authenticated POST. Set false for a POST that creates nothing.
   */
  idempotent?: boolean;
  /**
   * Which rate limits count this route: `caller` (per API key or user, and per tenant; the default on
   * authenticated routes), `client-ip` (per client address: for routes open without credentials, such as
   * sign-up, login or a data subject's own request) or `none` (the default on open routes).
   */
  rateLimit?: 'caller' | 'client-ip' | 'none';
  /**
   * The problem codes the route's backends can answer with (e.g. `ACCOUNT_NOT_FOUND`), beyond the ones
   * that follow from its shape (validation, credentials, scope, Idempotency-Key, rate limits, body size and
   * type, 500, and 503 when it calls a backend): the document lists each under its status, and the fuzzing
   * suite fails on an answer with a code not listed.
   */
  problems?: readonly ProblemCode[];
  /**
   * Whether the route calls a backing service, so may answer 503 `UPSTREAM_UNAVAILABLE`. Default: every
   * authenticated route (authentication itself asks identity).
   */
  callsBackends?: boolean;
  /**
   * Examples for the document. Without them, examples are made from the schemas' own field examples; give
   * them where that would not say enough. Both must satisfy the route's schemas (a unit test checks).
   */
  examples?: { request?: z.input<Body>; response?: z.infer<Result> };
  /** Picks the status for a result when it is not always `response.status`. */
  statusFor?: (result: z.infer<Result>) => number;
  handler(input: HandlerInput<z.infer<Query>, z.infer<Params>, z.infer<Body>>): Promise<z.infer<Result>>;
}

/** Identity function that lets TypeScript infer a route's schemas, so handlers are typed from them. */
export function route<
  Query extends z.ZodType,
  Params extends z.ZodType,
  Body extends z.ZodType,
  Result extends z.ZodType,
>(definition: Route<Query, Params, Body, Result>): Route<Query, Params, Body, Result> {
  return definition;
}

/** The scopes of which a caller needs one. */
export function scopesOf(route: Pick<Route, 'scope'>): readonly Scope[] {
  return route.scope === undefined ? [] : typeof route.scope === 'string' ? [route.scope] : route.scope;
}

/** The needed scope in words: "`profile`", or "`profile` or `privacy:read`". */
export function scopeText(route: Pick<Route, 'scope'>): string {
  return scopesOf(route)
    .map((scope) => `\`${scope}\``)
    .join(' or ');
}

/** `/v1/api-keys/{id}` → `/v1/api-keys/:id` for express. */
export function expressPath(path: string): string {
  return path.replace(/\{(\w+)\}/g, ':$1');
}
