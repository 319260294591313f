import { describe, expect, it } from '@jest/globals';
import { buildOpenApiDocument, problemCodesOf } from './openapi';
import { buildRoutes } from './routes/index';
import { problemCatalogue } from './problemCodes';
import type { Route } from './route';

// The route table as the gateway serves it; no handler runs here, so no backend is needed.
const backends = { deadLetterServices: ['identity', 'numbering', 'messaging', 'billing', 'privacy'] };
const routes: Route[] = buildRoutes(backends as never, { overrides: {} as never, defaults: {} as never });
const document = buildOpenApiDocument(routes, 'test') as unknown as {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Record<string, unknown>> };
};

interface Media {
  schema: Record<string, unknown>;
  example?: unknown;
}
interface Operation {
  operationId: string;
  parameters?: { name: string; in: string; schema: Record<string, unknown> }[];
  requestBody?: { content: Record<string, Media> };
  responses: Record<string, { description: string; content?: Record<string, Media> }>;
}

const operationOf = (route: Route) => document.paths[route.path]![route.method]!;
const problemMedia = (operation: Operation, status: number) =>
  operation.responses[status]?.content?.['application/problem+json'];
const codesIn = (media: Media | undefined) =>
  (
    (media?.schema.allOf as Record<string, unknown>[] | undefined)?.[1]?.properties as {
      code: { enum: string[] };
    }
  )?.code.enum;

describe('the OpenAPI document', () => {
  it.each(routes.map((route) => [route.operationId, route] as const))(
    '%s lists every status and problem code it can answer with, each under its own status',
    (_id, route) => {
      const operation = operationOf(route);
      const codes = problemCodesOf(route);
      for (const code of codes) {
        const { status } = problemCatalogue[code];
        expect(codesIn(problemMedia(operation, status))).toContain(code);
        expect(operation.responses[status]!.description).toContain(`\`${code}\``);
      }
      // Every problem answer is problem+json whose code is one of those listed, never any string.
      for (const [status, response] of Object.entries(operation.responses)) {
        const media = response.content?.['application/problem+json'];
        if (!media) continue;
        expect(codesIn(media)!.every((code) => codes.includes(code as never))).toBe(true);
        expect((media.example as { status: number }).status).toBe(Number(status));
      }
      expect(operation.responses[500]).toBeDefined();
      if (route.body)
        expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['400', '413', '415']));
      if (route.params) expect(operation.responses[404]).toBeDefined();
      if (route.scope)
        expect(Object.keys(operation.responses)).toEqual(
          expect.arrayContaining(['401', '403', '429', '503']),
        );
    },
  );

  it.each(routes.map((route) => [route.operationId, route] as const))(
    '%s has request and response examples that its own schemas accept',
    (_id, route) => {
      const operation = operationOf(route);
      if (route.body) {
        const example = operation.requestBody!.content['application/json']!.example;
        expect(example).toBeDefined();
        expect(route.body.safeParse(example).error?.issues ?? []).toEqual([]);
      }
      const success = operation.responses[route.response.status]!.content!;
      for (const [type, media] of Object.entries(success)) {
        if (type !== 'application/json') continue;
        expect(media.example).toBeDefined();
        expect(route.response.schema.safeParse(media.example).error?.issues ?? []).toEqual([]);
      }
    },
  );

  it('describes every pageToken as opaque', () => {
    const pageTokens = Object.values(document.paths)
      .flatMap((operations) => Object.values(operations))
      .flatMap((operation) => operation.parameters ?? [])
      .filter((parameter) => parameter.name === 'pageToken');
    expect(pageTokens.length).toBeGreaterThan(5);
    for (const parameter of pageTokens) expect(String(parameter.schema.description)).toMatch(/^Opaque/);
  });

  it('offers a new API key only the scopes a tenant can give it', () => {
    const body = document.components.schemas.CreateApiKeyRequest as {
      properties: { scopes: { items: { enum: string[] } } };
    };
    expect(body.properties.scopes.items.enum).toContain('numbers:read');
    expect(body.properties.scopes.items.enum).not.toContain('platform:admin');
    expect(body.properties.scopes.items.enum).not.toContain('internal');
  });

  it('states the bounds of every number a request carries', () => {
    const unbounded: string[] = [];
    const visit = (schema: unknown, where: string) => {
      if (!schema || typeof schema !== 'object') return;
      const s = schema as Record<string, unknown>;
      if (
        (s.type === 'integer' || s.type === 'number') &&
        (s.maximum === undefined || s.minimum === undefined)
      )
        unbounded.push(where);
      for (const [key, value] of Object.entries(s)) visit(value, `${where}.${key}`);
    };
    for (const route of routes) {
      const operation = operationOf(route);
      visit(operation.requestBody, `${route.operationId} body`);
      visit(operation.parameters, `${route.operationId} query`);
    }
    expect(unbounded).toEqual([]);
  });

  it('gives, as every phone example, a number in E.164 form', () => {
    const text = JSON.stringify(document);
    const phones = [...text.matchAll(/\+\d{8,15}\b/g)].map((match) => match[0]);
    expect(phones.length).toBeGreaterThan(0);
    expect(phones).not.toContain('+447700900123');
  });
});
