import { identityV1, messagingV1 } from '@parley/proto';
import { scopes } from '@parley/kit';
import type { Backends } from '../backends';
import { readiness } from '../domain/readiness';
import { route, type Route } from './route';
import { z } from './zod';

const pageQuery = z.object({
  pageSize: z.coerce
    .number()
    .int()
    .min(1)
    .max(100)
    .optional()
    .openapi({ description: 'Items per page (1-100, default 50).' }),
  pageToken: z.string().max(500).optional().openapi({ description: 'nextPageToken of the previous page.' }),
});

const timestamp = z.iso.datetime().openapi({ example: '2026-11-22T09:30:00.000Z' });
const iso = (date: Date | undefined) => date?.toISOString();
const nextPage = z.string().openapi({ description: 'Empty on the last page.' });

const tenantSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    tenancyMode: z.enum(['pooled', 'dedicated']),
    jurisdiction: z.enum(['gdpr', 'uk_gdpr', 'ccpa', 'other']),
    status: z.enum(['active', 'suspended', 'closed']),
    createdAt: timestamp,
  })
  .openapi('Tenant');

const modeNames: Record<number, 'pooled' | 'dedicated'> = { 1: 'pooled', 2: 'dedicated' };
const jurisdictionNames: Record<number, 'gdpr' | 'uk_gdpr' | 'ccpa' | 'other'> = {
  1: 'gdpr',
  2: 'uk_gdpr',
  3: 'ccpa',
  4: 'other',
};
const statusNames: Record<number, 'active' | 'suspended' | 'closed'> = {
  1: 'active',
  2: 'suspended',
  3: 'closed',
};

function tenantJson(tenant: identityV1.Tenant | undefined): z.infer<typeof tenantSchema> {
  if (!tenant) throw new Error('service answered without a tenant');
  return {
    id: tenant.id,
    name: tenant.name,
    tenancyMode: modeNames[tenant.tenancyMode] ?? 'pooled',
    jurisdiction: jurisdictionNames[tenant.jurisdiction] ?? 'other',
    status: statusNames[tenant.status] ?? 'active',
    createdAt: iso(tenant.createdAt) ?? '',
  };
}

const scopeEnum = z.enum(['*', ...scopes]);

const apiKeySchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    prefix: z.string().openapi({ example: 'prl_3fK9aXbQ2mPz' }),
    scopes: z.array(z.string()),
    createdAt: timestamp,
    expiresAt: timestamp.optional(),
    lastUsedAt: timestamp.optional(),
  })
  .openapi('ApiKey');

const createdApiKeySchema = apiKeySchema
  .extend({ apiKey: z.string().openapi({ description: 'The full key. Shown once; store it now.' }) })
  .openapi('CreatedApiKey');

const readinessSchema = z
  .object({
    status: z.enum(['ready', 'not_ready']),
    services: z.record(
      z.string(),
      z.enum(['SERVING', 'NOT_SERVING', 'UNKNOWN', 'SERVICE_UNKNOWN', 'UNREACHABLE']),
    ),
  })
  .openapi('Readiness');

/** Every public route. The OpenAPI document is generated from this list. */
export function buildRoutes(backends: Backends): Route[] {
  return [
    route({
      method: 'get',
      path: '/healthz',
      operationId: 'getHealth',
      summary: 'Liveness: the gateway process is up',
      tags: ['Operations'],
      response: { status: 200, description: 'Alive', schema: z.object({ status: z.literal('ok') }) },
      handler: async () => ({ status: 'ok' as const }),
    }),
    route({
      method: 'get',
      path: '/readyz',
      operationId: 'getReadiness',
      summary: 'Readiness: every backing service answers its gRPC health check',
      description: 'Answers 503 with the same body, naming the services that are not SERVING.',
      tags: ['Operations'],
      response: { status: 200, description: 'Every service is SERVING', schema: readinessSchema },
      alternateStatuses: { 503: 'At least one service is not SERVING; `services` says which' },
      statusFor: (result) => (result.status === 'ready' ? 200 : 503),
      handler: async () => readiness(await backends.health()),
    }),
    route({
      method: 'get',
      path: '/v1/tenant',
      operationId: 'getCurrentTenant',
      summary: "The caller's tenant",
      tags: ['Tenants'],
      scope: 'tenant:read',
      response: { status: 200, description: 'The tenant', schema: tenantSchema },
      handler: async ({ caller }) => {
        const { tenant } = await backends.as(caller, backends.identity, backends.identity.getTenant, {
          id: caller.tenantId,
        });
        return tenantJson(tenant);
      },
    }),
    route({
      method: 'post',
      path: '/v1/api-keys',
      operationId: 'createApiKey',
      summary: "Create an API key for the caller's tenant",
      description: 'The full key is in the response once; only its hash is stored.',
      tags: ['API keys'],
      scope: 'api-keys:write',
      body: z
        .object({
          name: z.string().trim().min(1).max(100),
          scopes: z.array(scopeEnum).min(1),
          expiresAt: z.iso.datetime({ offset: true }).optional(),
        })
        .strict()
        .openapi('CreateApiKeyRequest'),
      response: { status: 201, description: 'Created', schema: createdApiKeySchema },
      handler: async ({ caller, body }) => {
        const { apiKey, secret } = await backends.as(
          caller,
          backends.identity,
          backends.identity.createApiKey,
          {
            name: body.name,
            scopes: body.scopes,
            expiresAt: body.expiresAt ? new Date(body.expiresAt) : undefined,
          },
        );
        if (!apiKey) throw new Error('service answered without a key');
        return {
          id: apiKey.id,
          name: apiKey.name,
          prefix: apiKey.prefix,
          scopes: apiKey.scopes,
          createdAt: iso(apiKey.createdAt) ?? '',
          expiresAt: iso(apiKey.expiresAt),
          apiKey: secret,
        };
      },
    }),
    route({
      method: 'get',
      path: '/v1/numbers',
      operationId: 'listNumbers',
      summary: "The tenant's phone numbers, newest first",
      tags: ['Numbers'],
      scope: 'numbers:read',
      query: pageQuery,
      response: {
        status: 200,
        description: 'A page of numbers',
        schema: z
          .object({
            numbers: z.array(
              z.object({ id: z.uuid(), e164: z.string(), country: z.string(), assignedAt: timestamp }),
            ),
            nextPageToken: nextPage,
          })
          .openapi('NumberPage'),
      },
      handler: async ({ caller, query }) => {
        const page = await backends.as(caller, backends.numbering, backends.numbering.listNumbers, {
          pageSize: query.pageSize ?? 0,
          pageToken: query.pageToken ?? '',
        });
        return {
          numbers: page.numbers.map((number) => ({ ...number, assignedAt: iso(number.assignedAt) ?? '' })),
          nextPageToken: page.nextPageToken,
        };
      },
    }),
    route({
      method: 'get',
      path: '/v1/messages',
      operationId: 'listMessages',
      summary: "The tenant's message metadata, newest first",
      tags: ['Messages'],
      scope: 'messages:read',
      query: pageQuery,
      response: {
        status: 200,
        description: 'A page of messages',
        schema: z
          .object({
            messages: z.array(
              z.object({
                id: z.uuid(),
                direction: z.enum(['outbound', 'inbound', 'unspecified']),
                from: z.string(),
                to: z.string(),
                segments: z.number().int(),
                status: z.string(),
                createdAt: timestamp,
              }),
            ),
            nextPageToken: nextPage,
          })
          .openapi('MessagePage'),
      },
      handler: async ({ caller, query }) => {
        const page = await backends.as(caller, backends.messaging, backends.messaging.listMessages, {
          pageSize: query.pageSize ?? 0,
          pageToken: query.pageToken ?? '',
        });
        return {
          messages: page.messages.map((message) => ({
            ...message,
            direction:
              message.direction === messagingV1.Direction.DIRECTION_OUTBOUND
                ? ('outbound' as const)
                : message.direction === messagingV1.Direction.DIRECTION_INBOUND
                  ? ('inbound' as const)
                  : ('unspecified' as const),
            createdAt: iso(message.createdAt) ?? '',
          })),
          nextPageToken: page.nextPageToken,
        };
      },
    }),
    route({
      method: 'get',
      path: '/v1/billing/balance',
      operationId: 'getBalance',
      summary: "The tenant's prepaid balance",
      tags: ['Billing'],
      scope: 'billing:read',
      response: {
        status: 200,
        description: 'The balance',
        schema: z
          .object({
            currency: z.string().openapi({ example: 'USD' }),
            balanceMinor: z
              .string()
              .openapi({ description: 'Minor units (cents) as a decimal string.', example: '0' }),
            openedAt: timestamp,
          })
          .openapi('Balance'),
      },
      handler: async ({ caller }) => {
        const balance = await backends.as(caller, backends.billing, backends.billing.getBalance, {});
        return {
          currency: balance.currency,
          balanceMinor: balance.balanceMinor,
          openedAt: iso(balance.openedAt) ?? '',
        };
      },
    }),
    route({
      method: 'get',
      path: '/v1/privacy/requests',
      operationId: 'listPrivacyRequests',
      summary: "The tenant's data-subject requests, newest first",
      tags: ['Privacy'],
      scope: 'privacy:read',
      query: pageQuery,
      response: {
        status: 200,
        description: 'A page of requests',
        schema: z
          .object({
            requests: z.array(
              z.object({
                id: z.uuid(),
                type: z.string(),
                state: z.string(),
                receivedAt: timestamp,
                dueAt: timestamp,
              }),
            ),
            nextPageToken: nextPage,
          })
          .openapi('PrivacyRequestPage'),
      },
      handler: async ({ caller, query }) => {
        const page = await backends.as(caller, backends.privacy, backends.privacy.listRequests, {
          pageSize: query.pageSize ?? 0,
          pageToken: query.pageToken ?? '',
        });
        return {
          requests: page.requests.map((request) => ({
            ...request,
            receivedAt: iso(request.receivedAt) ?? '',
            dueAt: iso(request.dueAt) ?? '',
          })),
          nextPageToken: page.nextPageToken,
        };
      },
    }),
  ];
}
