import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { z } from './zod';
import type { Route } from './route';

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
    for (const [status, description] of Object.entries(route.problems ?? {}))
      errorResponses[Number(status)] = problemResponse(description);
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
        ...(route.body
          ? { body: { required: true, content: { 'application/json': { schema: route.body } } } }
          : {}),
      },
      responses: {
        [route.response.status]: {
          description: route.response.description,
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
