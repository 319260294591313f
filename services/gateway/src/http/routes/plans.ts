import { billingV1 } from '@parley/proto';
import type { Backends } from '../../backends';
import { route } from '../route';
import { iso, tenantIdParams, timestamp } from '../schemas';

const tenantParams = z.object({ tenantId: tenantIdParams.shape.id });
import { z } from '../zod';

const price = z
  .string()
  .regex(/^\d{1,11}(\.\d{1,9})?$/, 'must be a decimal string with at most 9 digits after the point')
  .openapi({ description: 'Major units as a decimal string, at most 9 places', example: '0.0079' });

const countryPrices = z
  .object({
    defaultPrice: price,
    byCountry: z
      .record(z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code'), price)
      .openapi({ description: 'Prices by ISO 3166-1 alpha-2 country', example: { GB: '0.04' } }),
  })
  .strict();

const roundings = {
  per_started_minute: billingV1.CallRounding.CALL_ROUNDING_PER_STARTED_MINUTE,
  per_second: billingV1.CallRounding.CALL_ROUNDING_PER_SECOND,
} as const;

export const pricesSchema = z
  .object({
    smsOutboundPerSegment: countryPrices.openapi({
      description: 'Outbound SMS, per segment, by destination',
    }),
    mmsOutboundPerMessage: countryPrices.openapi({
      description: 'Outbound MMS, per message, by destination',
    }),
    inboundMessage: price.openapi({ description: 'Inbound SMS or MMS, per message' }),
    numbers: z
      .array(
        z
          .object({
            numberType: z.enum(['local', 'mobile', 'toll_free']),
            country: z
              .string()
              .regex(/^([A-Z]{2}|\*)$/, 'must be an ISO 3166-1 alpha-2 code or *')
              .openapi({ description: 'ISO 3166-1 alpha-2 country, or `*` for every other', example: '*' }),
            setup: price,
            monthly: price,
          })
          .strict(),
      )
      .max(1000)
      .openapi({
        description: 'Setup and monthly rent by number type and country; each type needs a `*` entry',
      }),
    callInboundPerMinute: price,
    callOutboundPerMinute: price,
    callRounding: z.enum(['per_started_minute', 'per_second']),
    taxPercent: countryPrices.openapi({
      description:
        "Tax rate in percent by the buyer's billing country (the tenant's; on an account plan, the sub-account's)",
    }),
    proRataFirstMonth: z
      .boolean()
      .openapi({ description: "Charge a number's first month from its assignment day" }),
  })
  .strict()
  .openapi('PlanPrices');

type PricesJson = z.infer<typeof pricesSchema>;

export const planSchema = z
  .object({
    id: z.string().openapi({ example: 'standard' }),
    name: z.string(),
    currency: z.string().openapi({ example: 'USD' }),
    isDefault: z
      .boolean()
      .openapi({ description: 'New tenants whose account is in this currency get this plan' }),
    createdAt: timestamp,
    versions: z.array(
      z.object({
        version: z.number().int(),
        effectiveFrom: timestamp,
        prices: pricesSchema,
      }),
    ),
  })
  .openapi('Plan');

export function toProto(prices: PricesJson): billingV1.PlanPrices {
  return { ...prices, callRounding: roundings[prices.callRounding] };
}

function fromProto(prices: billingV1.PlanPrices | undefined): PricesJson {
  const p = billingV1.PlanPrices.fromPartial(prices ?? {});
  const empty = { defaultPrice: '0', byCountry: {} };
  return {
    smsOutboundPerSegment: p.smsOutboundPerSegment ?? empty,
    mmsOutboundPerMessage: p.mmsOutboundPerMessage ?? empty,
    inboundMessage: p.inboundMessage,
    numbers: p.numbers.map((entry) => ({
      numberType: entry.numberType as 'local' | 'mobile' | 'toll_free',
      country: entry.country,
      setup: entry.setup,
      monthly: entry.monthly,
    })),
    callInboundPerMinute: p.callInboundPerMinute,
    callOutboundPerMinute: p.callOutboundPerMinute,
    callRounding:
      p.callRounding === billingV1.CallRounding.CALL_ROUNDING_PER_SECOND
        ? 'per_second'
        : 'per_started_minute',
    taxPercent: p.taxPercent ?? empty,
    proRataFirstMonth: p.proRataFirstMonth,
  };
}

export function planJson(plan: billingV1.Plan | undefined): z.infer<typeof planSchema> {
  return {
    id: plan?.id ?? '',
    name: plan?.name ?? '',
    currency: plan?.currency ?? '',
    isDefault: plan?.isDefault ?? false,
    createdAt: iso(plan?.createdAt) ?? '',
    versions: (plan?.versions ?? []).map((version) => ({
      version: version.version,
      effectiveFrom: iso(version.effectiveFrom) ?? '',
      prices: fromProto(version.prices),
    })),
  };
}

export const effectiveFrom = z.string().datetime({ offset: true }).optional().openapi({
  description: 'From when the prices apply: now or later, after the latest version; default now',
  example: '2027-01-01T00:00:00Z',
});

export const planParams = z.object({
  id: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{1,62}$/, 'must be a plan id')
    .openapi({ example: 'standard' }),
});

/** Plans: platform operators manage them (`/v1/admin/plans`); a tenant reads its own (`/v1/plan`). */
export function planRoutes(backends: Backends) {
  const { billing } = backends;
  return [
    route({
      method: 'get',
      path: '/v1/admin/plans',
      operationId: 'listPlans',
      summary: 'Every plan with its price versions',
      tags: ['Plans'],
      scope: 'platform:admin',
      response: {
        status: 200,
        description: 'The plans, by id',
        schema: z.object({ plans: z.array(planSchema) }).openapi('PlanList'),
      },
      handler: async ({ caller }) => {
        const answer = await backends.as(caller, billing, billing.listPlans, {});
        return { plans: answer.plans.map(planJson) };
      },
    }),
    route({
      method: 'post',
      path: '/v1/admin/plans',
      operationId: 'createPlan',
      problems: [
        'PLAN_INVALID',
        'PLAN_PRICES_INVALID',
        'EFFECTIVE_FROM_IN_PAST',
        'CURRENCY_INVALID',
        'PLAN_EXISTS',
      ],
      summary: 'Create a plan with its first price version',
      description:
        'Prices are decimal strings in major units with up to 9 places; each usage line is quantity × unit price rounded once, half away from zero. With `isDefault`, new tenants whose billing account is in this currency are put on it (the previous default of that currency stops being one).',
      tags: ['Plans'],
      scope: 'platform:admin',
      body: z
        .object({
          id: planParams.shape.id,
          name: z.string().min(1).max(100),
          currency: z
            .string()
            .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code')
            .openapi({ example: 'EUR' }),
          isDefault: z.boolean().optional().openapi({ description: 'Default false' }),
          effectiveFrom,
          prices: pricesSchema,
        })
        .strict()
        .openapi('CreatePlanRequest'),
      response: { status: 201, description: 'Created', schema: planSchema },
      handler: async ({ caller, body }) => {
        const answer = await backends.as(caller, billing, billing.createPlan, {
          id: body.id,
          name: body.name,
          currency: body.currency,
          isDefault: body.isDefault ?? false,
          prices: toProto(body.prices),
          effectiveFrom: body.effectiveFrom ? new Date(body.effectiveFrom) : undefined,
        });
        return planJson(answer.plan);
      },
    }),
    route({
      method: 'post',
      path: '/v1/admin/plans/{id}/versions',
      operationId: 'addPlanVersion',
      problems: ['PLAN_PRICES_INVALID', 'EFFECTIVE_FROM_IN_PAST', 'PLAN_NOT_FOUND'],
      summary: 'Add a price version to a plan',
      description:
        'The new prices apply from `effectiveFrom` (now or later, after the latest version) to usage from then on; usage already rated keeps the prices and version it was rated at.',
      tags: ['Plans'],
      scope: 'platform:admin',
      params: planParams,
      body: z.object({ effectiveFrom, prices: pricesSchema }).strict().openapi('AddPlanVersionRequest'),
      response: { status: 201, description: 'The plan with its new version', schema: planSchema },
      handler: async ({ caller, params, body }) => {
        const answer = await backends.as(caller, billing, billing.addPlanVersion, {
          planId: params.id,
          prices: toProto(body.prices),
          effectiveFrom: body.effectiveFrom ? new Date(body.effectiveFrom) : undefined,
        });
        return planJson(answer.plan);
      },
    }),
    route({
      method: 'put',
      path: '/v1/admin/tenants/{tenantId}/plan',
      operationId: 'assignPlan',
      problems: [
        'PLAN_NOT_FOUND',
        'BILLING_ACCOUNT_NOT_FOUND',
        'PLAN_CURRENCY_MISMATCH',
        'TENANT_ID_INVALID',
      ],
      summary: 'Put a tenant on a plan',
      description:
        "Usage from now on is rated on the plan; its currency must be the tenant's billing account's.",
      tags: ['Plans'],
      scope: 'platform:admin',
      params: tenantParams,
      body: z.object({ planId: planParams.shape.id }).strict().openapi('AssignPlanRequest'),
      response: {
        status: 200,
        description: 'Assigned',
        schema: z.object({ tenantId: z.string(), planId: z.string() }).openapi('PlanAssignment'),
      },
      handler: async ({ caller, params, body }) => {
        await backends.as(caller, billing, billing.assignPlan, {
          tenantId: params.tenantId,
          planId: body.planId,
        });
        return { tenantId: params.tenantId, planId: body.planId };
      },
    }),
    route({
      method: 'get',
      path: '/v1/admin/billing/reconciliation',
      operationId: 'getBillingReconciliation',
      problems: ['PERIOD_INVALID'],
      summary: 'Events billing received per subject against the usage it rated',
      description:
        "For each subject billing rates, in the month the producer created the event (its UUIDv7 id): the events billing's inbox handled (`seen`), those parked in dead letters (`parked`), and the usage lines rated from them (`rated`). Each handled event has exactly one line, so `difference` (seen - rated) is 0; parked events are listed for the dead-letter API. Answerable while the inbox keeps the month (twice the stream's max age plus two days).",
      tags: ['Plans'],
      scope: 'platform:admin',
      query: z.object({
        period: z
          .string()
          .regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be YYYY-MM')
          .openapi({ example: '2026-11' }),
      }),
      response: {
        status: 200,
        description: 'One line per rated subject',
        schema: z
          .object({
            period: z.string(),
            lines: z.array(
              z.object({
                eventType: z.string().openapi({ example: 'messaging.message.sent' }),
                seen: z.number().int(),
                parked: z.number().int(),
                rated: z.number().int(),
                difference: z.number().int(),
              }),
            ),
          })
          .openapi('BillingReconciliation'),
      },
      handler: async ({ caller, query }) => {
        const report = await backends.as(caller, billing, billing.getReconciliation, {
          period: query.period,
        });
        return {
          period: report.period,
          lines: report.lines.map((line) => ({
            eventType: line.eventType,
            seen: Number(line.seen),
            parked: Number(line.parked),
            rated: Number(line.rated),
            difference: Number(line.difference),
          })),
        };
      },
    }),
    route({
      method: 'get',
      path: '/v1/plan',
      operationId: 'getPlan',
      problems: ['BILLING_ACCOUNT_NOT_FOUND', 'BILLING_PLAN_NOT_ASSIGNED'],
      summary: "The tenant's plan and its price versions",
      tags: ['Plans'],
      scope: 'billing:read',
      response: { status: 200, description: 'The plan', schema: planSchema },
      handler: async ({ caller }) => planJson((await backends.as(caller, billing, billing.getPlan, {})).plan),
    }),
  ];
}
