import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { z } from './zod';
import type { Route } from './route';
import { isIdempotent, rateLimitOf } from './server';
import { IDEMPOTENCY_KEY_HEADER } from './idempotency';

export const problemSchema = z
  .object({
    type: z.string().openapi({ example: 'urn:parley:problem:validation-failed' }),
    title: z.string().openapi({ example: 'Bad Request' }),
    status: z.number().int().openapi({ example: 400 }),
    detail: z.string(),
    code: z
      .string()
      .openapi({ description: 'Stable UPPER_SNAKE error code; switch on this, not on detail.' }),
    instance: z.string().optional(),
    errors: z
      .array(z.object({ field: z.string(), description: z.string() }))
      .optional()
      .openapi({ description: 'One entry per invalid field, named as in the request.' }),
    traceId: z.string().optional(),
  })
  .openapi('Problem', { description: 'RFC 9457 problem details' });

const problemResponse = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: problemSchema } },
});

const idempotencyHeaders = z.object({
  [IDEMPOTENCY_KEY_HEADER]: z
    .string()
    .min(1)
    .max(255)
    .regex(/^[\x20-\x7e]+$/)
    .optional()
    .openapi({
      description:
        'Makes retrying safe: repeating the request with the same key (within 24 hours, same tenant, caller, method, path and body) answers the first answer again, with `Idempotent-Replayed: true`, instead of acting twice. 1-255 printable ASCII characters; a UUID is a good choice.',
      example: '5f2b1c9e-8d3a-4c1e-9f7a-2b6d0e4a1c33',
    }),
});

const rateLimitResponseHeaders = {
  'RateLimit-Policy': {
    description:
      'The limits that apply (IETF draft-ietf-httpapi-ratelimit-headers), one item per limit: quota `q` per window `w` seconds.',
    schema: { type: 'string' as const, example: '"principal";q=1200;w=60, "tenant";q=6000;w=60' },
  },
  RateLimit: {
    description: 'Where this client stands: requests remaining `r` and seconds `t` until the window resets.',
    schema: { type: 'string' as const, example: '"principal";r=1199;t=60, "tenant";r=5999;t=60' },
  },
};

const retryAfterHeader = {
  description: 'Seconds to wait before retrying.',
  schema: { type: 'integer' as const, example: 12 },
};

/** Builds the OpenAPI 3.1 document from the route table. */
export function buildOpenApiDocument(routes: Route[], version: string) {
  const registry = new OpenAPIRegistry();
  const bearer = registry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    description: 'A Parley API key (`prl_...`) or an access token.',
  });
  registry.register('Problem', problemSchema);
  for (const route of routes) {
    const errorResponses: Record<number, ReturnType<typeof problemResponse>> = {};
    if (route.query || route.params || route.body)
      errorResponses[400] = problemResponse('The request is invalid; `errors` names each field.');
    if (route.scope) {
      errorResponses[401] = problemResponse('Missing, invalid, expired or revoked credentials.');
      errorResponses[403] = problemResponse(`The credentials lack the \`${route.scope}\` scope.`);
    }
    const idempotent = isIdempotent(route) && route.scope !== undefined;
    const limited = rateLimitOf(route) !== 'none';
    if (idempotent) {
      errorResponses[400] = problemResponse(
        'The request is invalid (`errors` names each field), or the `Idempotency-Key` header is malformed (`IDEMPOTENCY_KEY_INVALID`).',
      );
      errorResponses[409] = problemResponse(
        'A request with the same `Idempotency-Key` is still being carried out (`IDEMPOTENCY_KEY_IN_USE`); retry after `Retry-After` seconds to get its answer.',
      );
      errorResponses[422] = problemResponse(
        'The `Idempotency-Key` was already used for a different request (`IDEMPOTENCY_KEY_REUSED`).',
      );
    }
    if (limited) {
      errorResponses[429] = {
        ...problemResponse(
          route.rateLimit === 'client-ip'
            ? 'Too many requests from this client address (`RATE_LIMITED`); retry after `Retry-After` seconds.'
            : 'Too many requests for this API key or tenant (`RATE_LIMITED`); retry after `Retry-After` seconds.',
        ),
        headers: { ...rateLimitResponseHeaders, 'Retry-After': retryAfterHeader },
      } as ReturnType<typeof problemResponse>;
    }
    // A route's own problem answers; where one shares a status with the idempotency answers, both are named.
    for (const [status, description] of Object.entries(route.problems ?? {})) {
      const code = Number(status);
      const existing = code === 400 ? undefined : errorResponses[code];
      errorResponses[code] = existing
        ? { ...existing, description: `${description} Or: ${existing.description}` }
        : problemResponse(description);
      // A route's own 503 (a dependency of the service is down) says when to come back.
      if (code === 503)
        errorResponses[code] = {
          ...errorResponses[code],
          headers: { 'Retry-After': retryAfterHeader },
        } as ReturnType<typeof problemResponse>;
    }
    errorResponses[500] = problemResponse('Unexpected error.');
    registry.registerPath({
      method: route.method,
      path: route.path,
      operationId: route.operationId,
      summary: route.summary,
      description:
        [route.description, route.scope ? `Requires scope \`${route.scope}\`.` : undefined]
          .filter(Boolean)
          .join('\n\n') || undefined,
      tags: route.tags,
      security: route.scope ? [{ [bearer.name]: [] }] : [],
      request: {
        ...(route.query ? { query: route.query as never } : {}),
        ...(route.params ? { params: route.params as never } : {}),
        ...(idempotent ? { headers: idempotencyHeaders as never } : {}),
        ...(route.body
          ? { body: { required: true, content: { 'application/json': { schema: route.body } } } }
          : {}),
      },
      responses: {
        [route.response.status]: {
          description: route.response.description,
          ...(limited ? { headers: rateLimitResponseHeaders } : {}),
          content: { [route.response.contentType ?? 'application/json']: { schema: route.response.schema } },
        },
        ...Object.fromEntries(
          Object.entries(route.alternateStatuses ?? {}).map(([status, description]) => [
            status,
            {
              description,
              content: {
                [route.response.contentType ?? 'application/json']: { schema: route.response.schema },
              },
            },
          ]),
        ),
        ...errorResponses,
      },
    });
  }
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Parley API',
      version,
      description:
        'The public REST API of Parley: virtual numbers, messaging, billing and privacy. Errors are `application/problem+json` with a stable `code`.',
    },
    servers: [{ url: '/' }],
  });
}
