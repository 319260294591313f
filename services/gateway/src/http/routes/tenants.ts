import type { ApiKeys } from '../../apiKeys';
import type { Backends } from '../../backends';
import { route } from '../route';
import { z } from '../zod';
import {
  tenantIdParams,
  jurisdictions,
  nextPage,
  pageQuery,
  tenancyModes,
  tenantJson,
  tenantSchema,
  iso,
  timestamp,
} from '../schemas';

/** How long a rotated auth token keeps working (identity's TWILIO_TOKEN_OVERLAP_MS). */
const TWILIO_TOKEN_OVERLAP_HOURS = 24;

/** `apiKeys`: told of a tenant closed here, so this replica stops accepting its keys at once. */
export function tenantRoutes(backends: Backends, apiKeys?: Pick<ApiKeys, 'forgetTenant'>) {
  const { identity } = backends;
  return [
    route({
      method: 'post',
      path: '/v1/tenants',
      operationId: 'createTenant',
      problems: [
        'TENANT_INVALID',
        'TENANT_ID_INVALID',
        'JURISDICTION_UNKNOWN',
        'TENANT_EXISTS',
        'IDENTITY_PROVIDER_UNAVAILABLE',
      ],
      summary: 'Create and provision a tenant',
      description:
        'Provisions the tenant in the identity provider (an organization in the shared realm when pooled, a realm of its own when dedicated) and answers 201 with its first owner API key, shown once. Repeating the same request answers 200 with the tenant and no key; a request that failed half-way is finished by repeating it.',
      tags: ['Tenants'],
      scope: 'platform:admin',
      body: z
        .object({
          id: z.string().min(2).max(63).openapi({ example: 'acme' }),
          name: z.string().min(1).max(200),
          tenancyMode: z.enum(['pooled', 'dedicated']),
          jurisdiction: z.enum(['gdpr', 'uk_gdpr', 'ccpa', 'other']),
          minimumAge: z.number().int().min(13).max(21).optional().openapi({ description: 'Default 18' }),
        })
        .strict()
        .openapi('CreateTenantRequest'),
      response: {
        status: 201,
        description: 'Created, with the first owner key',
        schema: z
          .object({
            tenant: tenantSchema,
            apiKey: z
              .string()
              .optional()
              .openapi({ description: 'The first owner key in full; only in the 201 answer' }),
          })
          .openapi('CreatedTenant'),
      },
      alternateStatuses: { 200: 'The tenant already existed with these attributes' },
      statusFor: (result) => (result.apiKey ? 201 : 200),
      handler: async ({ caller, body }) => {
        const response = await backends.as(
          caller,
          identity,
          identity.createTenant,
          {
            id: body.id,
            name: body.name,
            tenancyMode: tenancyModes[body.tenancyMode],
            jurisdiction: jurisdictions[body.jurisdiction],
            minimumAge: body.minimumAge ?? 0,
          },
          { deadline: 'provisioning' },
        );
        return {
          tenant: tenantJson(response.tenant),
          ...(response.ownerApiKey ? { apiKey: response.ownerApiKey } : {}),
        };
      },
    }),
    route({
      method: 'get',
      path: '/v1/tenants',
      operationId: 'listTenants',
      problems: ['PAGE_TOKEN_INVALID', 'PAGE_SIZE_INVALID'],
      summary: 'Every tenant, newest first',
      tags: ['Tenants'],
      scope: 'platform:admin',
      query: pageQuery,
      response: {
        status: 200,
        description: 'A page of tenants',
        schema: z.object({ tenants: z.array(tenantSchema), nextPageToken: nextPage }).openapi('TenantPage'),
      },
      handler: async ({ caller, query }) => {
        const page = await backends.as(caller, identity, identity.listTenants, {
          pageSize: query.pageSize ?? 0,
          pageToken: query.pageToken ?? '',
        });
        return { tenants: page.tenants.map(tenantJson), nextPageToken: page.nextPageToken };
      },
    }),
    route({
      method: 'get',
      path: '/v1/tenants/{id}',
      operationId: 'getTenant',
      problems: ['TENANT_NOT_FOUND'],
      summary: 'One tenant',
      tags: ['Tenants'],
      scope: 'platform:admin',
      params: tenantIdParams,
      response: { status: 200, description: 'The tenant', schema: tenantSchema },
      handler: async ({ caller, params }) =>
        tenantJson((await backends.as(caller, identity, identity.getTenant, { id: params.id })).tenant),
    }),
    route({
      method: 'post',
      path: '/v1/admin/tenants/{id}/close',
      operationId: 'closeTenant',
      problems: ['TENANT_NOT_FOUND', 'TENANT_NOT_CLOSABLE'],
      summary: 'Close a tenant (the customer left)',
      description:
        "From then on the tenant's API keys, Twilio auth tokens and users' access tokens are refused with 401 `TENANT_INACTIVE` (access tokens, and API keys on other gateway replicas, within a few seconds), and `identity.tenant.closed` starts the retention clocks of its records: billing keeps its invoices and usage for the legal period of its billing country after `closedAt`, then deletes them. Closing a closed tenant returns the first closing.",
      tags: ['Tenants'],
      scope: 'platform:admin',
      params: tenantIdParams,
      response: {
        status: 200,
        description: 'The closed tenant',
        schema: z.object({ tenant: tenantSchema, closedAt: timestamp }).openapi('ClosedTenant'),
      },
      handler: async ({ caller, params }) => {
        const closed = await backends.as(caller, identity, identity.closeTenant, { id: params.id });
        apiKeys?.forgetTenant(params.id);
        return { tenant: tenantJson(closed.tenant), closedAt: iso(closed.closedAt) ?? '' };
      },
    }),
    route({
      method: 'get',
      path: '/v1/tenant',
      operationId: 'getCurrentTenant',
      problems: ['TENANT_NOT_FOUND'],
      summary: "The caller's tenant",
      tags: ['Tenants'],
      scope: 'tenant:read',
      response: { status: 200, description: 'The tenant', schema: tenantSchema },
      handler: async ({ caller }) =>
        tenantJson((await backends.as(caller, identity, identity.getTenant, { id: caller.tenantId })).tenant),
    }),
    route({
      method: 'post',
      path: '/v1/tenant/twilio-auth-token',
      operationId: 'rotateTwilioAuthToken',
      summary: 'Create or rotate the auth token of the Twilio-compatible API',
      description: `The new token is in this answer only (it is stored encrypted, because it also signs the callbacks sent as Twilio sends them: \`X-Twilio-Signature\`). The previous token keeps working for ${TWILIO_TOKEN_OVERLAP_HOURS} hours, until \`previousExpiresAt\`, so callers can switch over; a token older than that stops at once. Use the Account SID as the HTTP Basic user name and the token as the password on \`/2010-04-01/Accounts/{AccountSid}/...\`.`,
      tags: ['Tenants'],
      scope: 'api-keys:write',
      response: {
        status: 201,
        description: 'The new token, shown once',
        schema: z
          .object({
            accountSid: z.string().openapi({ example: 'AC3f2a9c1d7e6b5a4f3e2d1c0b9a8f7e6d' }),
            authToken: z.string().openapi({
              description: 'The new auth token. Shown once; store it now.',
              example: '9b1f0c2e7d4a4c6b8e3f5a1d2c7b9e0f',
            }),
            previousExpiresAt: timestamp.optional().openapi({
              description: 'When the previous token stops working; absent when there was none',
            }),
          })
          .openapi('RotatedTwilioAuthToken'),
      },
      handler: async ({ caller }) => {
        const rotated = await backends.as(caller, identity, identity.rotateTwilioAuthToken, {});
        const previousExpiresAt = iso(rotated.previousExpiresAt);
        return {
          accountSid: rotated.accountSid,
          authToken: rotated.authToken,
          ...(previousExpiresAt ? { previousExpiresAt } : {}),
        };
      },
    }),
  ];
}
