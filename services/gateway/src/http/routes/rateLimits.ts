import { notFound } from '@parley/kit';
import type { Backends } from '../../backends';
import type { RateLimitOverride, RateLimitOverrides } from '../../db/rateLimitOverrides';
import type { RateLimitDefaults } from '../rateLimiting';
import { route } from '../route';
import { timestamp } from '../schemas';
import { z } from '../zod';

const tenantParams = z.object({
  tenantId: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{1,62}$/, 'must be a tenant id (lowercase letters, digits, hyphens)')
    .openapi({ example: 'acme' }),
});

const limit = z.number().int().min(0).max(10_000_000).nullable();

const rateLimitsSchema = z
  .object({
    tenantId: z.string(),
    windowSeconds: z.number().int().openapi({ description: 'Length of every window (configuration)' }),
    perPrincipal: z.number().int().openapi({ description: 'Requests per window for each API key or user' }),
    perTenant: z.number().int().openapi({ description: "Requests per window for all the tenant's callers" }),
    overridden: z
      .object({
        perPrincipal: limit,
        perTenant: limit,
        updatedBy: z.string(),
        updatedAt: timestamp,
      })
      .nullable()
      .openapi({ description: 'The tenant’s own limits; null when the defaults apply' }),
  })
  .openapi('TenantRateLimits');

/** A platform admin's view and control of one tenant's rate limits (stored in the gateway's database). */
export function rateLimitRoutes(
  backends: Backends,
  overrides: RateLimitOverrides,
  defaults: RateLimitDefaults,
) {
  const effective = (tenantId: string, override: RateLimitOverride | undefined) => ({
    tenantId,
    windowSeconds: defaults.windowSeconds,
    perPrincipal: override?.perPrincipal ?? defaults.perPrincipal,
    perTenant: override?.perTenant ?? defaults.perTenant,
    overridden: override
      ? {
          perPrincipal: override.perPrincipal,
          perTenant: override.perTenant,
          updatedBy: override.updatedBy,
          updatedAt: override.updatedAt.toISOString(),
        }
      : null,
  });
  return [
    route({
      method: 'get',
      path: '/v1/admin/tenants/{tenantId}/rate-limits',
      operationId: 'getTenantRateLimits',
      problems: ['TENANT_NOT_FOUND'],
      summary: "A tenant's effective rate limits",
      description: 'A limit of 0 means no such limit.',
      tags: ['Rate limits'],
      scope: 'platform:admin',
      params: tenantParams,
      response: { status: 200, description: 'The limits in force', schema: rateLimitsSchema },
      handler: async ({ params }) => effective(params.tenantId, await overrides.get(params.tenantId)),
    }),
    route({
      method: 'put',
      path: '/v1/admin/tenants/{tenantId}/rate-limits',
      operationId: 'setTenantRateLimits',
      summary: "Set a tenant's own rate limits",
      description:
        'Replaces the configured defaults for this tenant; a limit left out or null keeps the default, 0 removes the limit. Every gateway replica applies the change within RATE_LIMIT_OVERRIDE_CACHE_MS.',
      tags: ['Rate limits'],
      scope: 'platform:admin',
      params: tenantParams,
      body: z
        .object({
          perPrincipal: limit.optional().openapi({ example: 1200 }),
          perTenant: limit.optional().openapi({ example: 6000 }),
        })
        .strict()
        .openapi('SetTenantRateLimitsRequest'),
      response: { status: 200, description: 'The limits now in force', schema: rateLimitsSchema },
      problems: ['TENANT_NOT_FOUND'],
      handler: async ({ caller, params, body }) => {
        // Limits only for a tenant that exists: identity answers NOT_FOUND (404) for any other id.
        await backends.as(caller, backends.identity, backends.identity.getTenant, { id: params.tenantId });
        return effective(
          params.tenantId,
          await overrides.put(
            params.tenantId,
            { perPrincipal: body.perPrincipal ?? null, perTenant: body.perTenant ?? null },
            caller.principal,
          ),
        );
      },
    }),
    route({
      method: 'delete',
      path: '/v1/admin/tenants/{tenantId}/rate-limits',
      operationId: 'resetTenantRateLimits',
      problems: ['RATE_LIMITS_NOT_OVERRIDDEN'],
      summary: "Remove a tenant's own rate limits; the defaults apply again",
      tags: ['Rate limits'],
      scope: 'platform:admin',
      params: tenantParams,
      response: { status: 200, description: 'The limits now in force', schema: rateLimitsSchema },
      handler: async ({ params }) => {
        if (!(await overrides.remove(params.tenantId)))
          throw notFound('RATE_LIMITS_NOT_OVERRIDDEN', 'this tenant has no rate limits of its own');
        return effective(params.tenantId, undefined);
      },
    }),
  ];
}
