import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { z } from './zod';
import { scopeText, type Route } from './route';
import { isIdempotent, rateLimitOf } from './server';
import { IDEMPOTENCY_KEY_HEADER, REQUEST_ID_HEADER } from './idempotency';
import { credentialCodes, problemCatalogue, statusesOf, type ProblemCode } from './problemCodes';
import { problemType, titles } from './problem';
import { exampleOf } from './examples';

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
    requestId: z.string().optional().openapi({
      description: 'The X-Request-Id of the request this answers; quote it when asking about it.',
    }),
  })
  .openapi('Problem', { description: 'RFC 9457 problem details' });

const requestIdDescription =
  "Names this request in the answer (`X-Request-Id`, and `requestId` in a problem body) and in Parley's logs. A valid one you send (1-128 characters of letters, digits, `.`, `_`, `:`, `-`) is echoed; otherwise Parley makes one.";

const requestIdHeaders = z.object({
  [REQUEST_ID_HEADER]: z
    .string()
    .optional()
    .openapi({ description: requestIdDescription, example: 'order-7f3a9c:attempt-1' }),
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

const requestIdResponseHeader = {
  [REQUEST_ID_HEADER]: { description: requestIdDescription, schema: { type: 'string' as const } },
};

const retryAfterHeader = {
  description: 'Seconds to wait before retrying.',
  schema: { type: 'integer' as const, example: 12 },
};

/**
 * Every problem code a route can answer with: the ones that follow from its shape, and the ones its backends
 * give (declared on the route).
 */
export function problemCodesOf(route: Route): ProblemCode[] {
  const codes = new Set<ProblemCode>();
  const add = (...more: ProblemCode[]) => more.forEach((code) => codes.add(code));
  if (route.query || route.params || route.body) add('VALIDATION_FAILED', 'CONTROL_CHARACTER');
  if (route.body) add('BODY_NOT_JSON', 'BODY_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE');
  if (route.params) add('RESOURCE_NOT_FOUND');
  if (route.scope) add(...credentialCodes, 'SCOPE_MISSING');
  if (isIdempotent(route) && route.scope)
    add('IDEMPOTENCY_KEY_INVALID', 'IDEMPOTENCY_KEY_IN_USE', 'IDEMPOTENCY_KEY_REUSED');
  if (rateLimitOf(route) !== 'none') add('RATE_LIMITED');
  add(...(route.problems ?? []));
  // Any path, query or body may carry a card number, and is refused for it.
  add('CARD_NUMBER_REFUSED', 'HEADERS_TOO_LARGE', 'INTERNAL');
  if (route.callsBackends ?? route.scope !== undefined) add('UPSTREAM_UNAVAILABLE');
  return [...codes];
}

type Json = Record<string, unknown>;

/** The problem answers of one status: the codes it can carry, as an enum, each explained, with an example. */
function problemAnswer(route: Route, status: number, codes: ProblemCode[]): Json {
  const headers: Json = { ...requestIdResponseHeader };
  if (status === 429) Object.assign(headers, rateLimitResponseHeaders, { 'Retry-After': retryAfterHeader });
  if (status === 409 && codes.includes('IDEMPOTENCY_KEY_IN_USE')) headers['Retry-After'] = retryAfterHeader;
  if (
    status === 503 &&
    (codes.includes('SUPPLIER_UNAVAILABLE') || codes.includes('PAYMENT_PROCESSOR_UNAVAILABLE'))
  )
    headers['Retry-After'] = retryAfterHeader;
  if (status === 401)
    headers['WWW-Authenticate'] = {
      description: 'Sent when no credential was given: `Bearer realm="parley"`.',
      schema: { type: 'string' },
    };
  const [first] = codes as [ProblemCode];
  return {
    description: [
      `${titles[status] ?? 'Error'}. \`code\` is one of:`,
      ...codes.map((code) => `- \`${code}\`: ${problemCatalogue[code].description}`),
    ].join('\n'),
    ...(Object.keys(headers).length > 0 ? { headers } : {}),
    content: {
      'application/problem+json': {
        schema: {
          allOf: [
            { $ref: '#/components/schemas/Problem' },
            {
              type: 'object',
              properties: {
                status: { type: 'integer', enum: [status] },
                code: { type: 'string', enum: codes },
              },
            },
          ],
        },
        example: {
          type: problemType(first),
          title: titles[status] ?? 'Error',
          status,
          detail: problemCatalogue[first].description,
          code: first,
          instance: route.path,
          ...(first === 'VALIDATION_FAILED'
            ? {
                errors: [{ field: 'name', description: 'Too big: expected string to have <=100 characters' }],
              }
            : {}),
        },
      },
    },
  };
}

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
    const idempotent = isIdempotent(route) && route.scope !== undefined;
    const limited = rateLimitOf(route) !== 'none';
    const contentType = route.response.contentType ?? 'application/json';
    registry.registerPath({
      method: route.method,
      path: route.path,
      operationId: route.operationId,
      summary: route.summary,
      description:
        [route.description, route.scope ? `Requires scope ${scopeText(route)}.` : undefined]
          .filter(Boolean)
          .join('\n\n') || undefined,
      tags: route.tags,
      security: route.scope ? [{ [bearer.name]: [] }] : [],
      request: {
        ...(route.query ? { query: route.query as never } : {}),
        ...(route.params ? { params: route.params as never } : {}),
        headers: (idempotent ? requestIdHeaders.extend(idempotencyHeaders.shape) : requestIdHeaders) as never,
        ...(route.body
          ? { body: { required: true, content: { 'application/json': { schema: route.body } } } }
          : {}),
      },
      responses: {
        [route.response.status]: {
          description: route.response.description,
          headers: { ...requestIdResponseHeader, ...(limited ? rateLimitResponseHeaders : {}) },
          content: { [contentType]: { schema: route.response.schema } },
        },
        ...Object.fromEntries(
          Object.entries(route.alternateStatuses ?? {}).map(([status, description]) => [
            status,
            { description, content: { [contentType]: { schema: route.response.schema } } },
          ]),
        ),
      },
    });
  }
  const document = new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Parley API',
      version,
      description:
        'The public REST API of Parley: virtual numbers, messaging, billing and privacy. Errors are `application/problem+json` with a stable `code`; each operation lists, per status, every `code` it can answer with.',
    },
    servers: [{ url: '/' }],
  });
  const components = (document.components?.schemas ?? {}) as Record<string, unknown>;
  for (const route of routes) {
    const operation = (document.paths?.[route.path] as Record<string, Json> | undefined)?.[route.method];
    if (!operation) continue;
    // Examples: the route's own, else made from the schemas' field examples.
    const requestMedia = (operation.requestBody as Json | undefined)?.content as
      Record<string, Json> | undefined;
    for (const media of Object.values(requestMedia ?? {}))
      media.example = route.examples?.request ?? exampleOf(media.schema, components);
    const responses = operation.responses as Record<string, Json>;
    for (const status of [route.response.status, ...Object.keys(route.alternateStatuses ?? {}).map(Number)]) {
      for (const media of Object.values((responses[status]?.content ?? {}) as Record<string, Json>)) {
        const example =
          status === route.response.status && route.examples?.response !== undefined
            ? route.examples.response
            : exampleOf(media.schema, components);
        if (example !== undefined) media.example = example;
      }
    }
    // Problem answers, grouped by status; a status the route also answers with its own body gets both.
    const byStatus = new Map<number, ProblemCode[]>();
    for (const code of problemCodesOf(route))
      for (const status of statusesOf(code)) byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
    for (const [status, codes] of [...byStatus].sort(([a], [b]) => a - b)) {
      const answer = problemAnswer(route, status, codes);
      const existing = responses[status];
      responses[status] = existing
        ? {
            ...existing,
            description: `${String(existing.description)} Or a problem: ${String(answer.description)}`,
            content: { ...(existing.content as Json), ...(answer.content as Json) },
          }
        : answer;
    }
  }
  return document;
}
