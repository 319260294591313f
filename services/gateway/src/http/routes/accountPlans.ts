import type { Backends } from '../../backends';
import { route } from '../route';
import { iso, timestamp } from '../schemas';
import { z } from '../zod';
import { effectiveFrom, planJson, planParams, planSchema, pricesSchema, toProto } from './plans';

/** An account plan is a plan of the tenant's own: the same prices and versions, never a platform default. */
const accountPlanSchema = planSchema.omit({ isDefault: true }).openapi('AccountPlan');

const accountPlanJson = (plan: Parameters<typeof planJson>[0]) => {
  const { isDefault: _platformOnly, ...json } = planJson(plan);
  return json;
};

const accountParams = z.object({
  accountId: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/, 'must be an account id of the tenant')
    .openapi({
      description: 'An account (sub-account) of the tenant, as numbers and messages name it',
      example: '0b7c6f8e-3a52-4f9d-9c1e-2d4a6b8c0e1f',
    }),
});

const assignmentSchema = z
  .object({
    accountId: z.string(),
    planId: z
      .string()
      .nullable()
      .openapi({ description: 'The account plan; null: the account is not resold', example: 'retail' }),
    assignedAt: timestamp.nullable(),
  })
  .openapi('AccountPlanAssignment');

const samplePrices = {
  smsOutboundPerSegment: { defaultPrice: '0.012', byCountry: { GB: '0.055' } },
  mmsOutboundPerMessage: { defaultPrice: '0.03', byCountry: {} },
  inboundMessage: '0.01',
  numbers: [
    { numberType: 'local' as const, country: '*', setup: '1', monthly: '2.50' },
    { numberType: 'mobile' as const, country: '*', setup: '1', monthly: '2.50' },
    { numberType: 'toll_free' as const, country: '*', setup: '5', monthly: '4' },
  ],
  callInboundPerMinute: '0.015',
  callOutboundPerMinute: '0.025',
  callRounding: 'per_second' as const,
  taxPercent: { defaultPrice: '0', byCountry: { DE: '19', GB: '20' } },
  proRataFirstMonth: false,
};

/**
 * Account plans: a tenant's own prices for its accounts (sub-accounts), which it bills itself. The tenant's
 * billing scopes manage them; each tenant sees and assigns only its own.
 */
export function accountPlanRoutes(backends: Backends) {
  const { billing } = backends;
  return [
    route({
      method: 'post',
      path: '/v1/account-plans',
      operationId: 'createAccountPlan',
      problems: [
        'PLAN_INVALID',
        'PLAN_PRICES_INVALID',
        'EFFECTIVE_FROM_IN_PAST',
        'CURRENCY_INVALID',
        'PLAN_EXISTS',
        'BILLING_ACCOUNT_NOT_FOUND',
        'PLAN_CURRENCY_MISMATCH',
      ],
      summary: 'Create a price list for your own accounts, with its first version',
      description:
        "The same prices as a platform plan, set by you for the accounts you resell (`PUT /v1/accounts/{accountId}/plan`): the usage of such an account is rated twice, at your platform plan (what you owe Parley) and at this plan (what the account owes you, on the invoice you issue it). The currency must be your billing account's. Tax is by the account's billing country.",
      tags: ['Account plans'],
      scope: 'billing:write',
      body: z
        .object({
          id: planParams.shape.id,
          name: z.string().min(1).max(100),
          currency: z
            .string()
            .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code')
            .openapi({ example: 'EUR' }),
          effectiveFrom,
          prices: pricesSchema,
        })
        .strict()
        .openapi('CreateAccountPlanRequest'),
      response: { status: 201, description: 'Created', schema: accountPlanSchema },
      examples: {
        request: { id: 'retail', name: 'Retail', currency: 'EUR', prices: samplePrices },
        response: {
          id: 'retail',
          name: 'Retail',
          currency: 'EUR',
          createdAt: '2026-12-01T10:00:00.000Z',
          versions: [{ version: 1, effectiveFrom: '2026-12-01T10:00:00.000Z', prices: samplePrices }],
        },
      },
      handler: async ({ caller, body }) => {
        const answer = await backends.as(caller, billing, billing.createAccountPlan, {
          id: body.id,
          name: body.name,
          currency: body.currency,
          prices: toProto(body.prices),
          effectiveFrom: body.effectiveFrom ? new Date(body.effectiveFrom) : undefined,
        });
        return accountPlanJson(answer.plan);
      },
    }),
    route({
      method: 'get',
      path: '/v1/account-plans',
      operationId: 'listAccountPlans',
      summary: 'Your account plans with their price versions',
      tags: ['Account plans'],
      scope: 'billing:read',
      response: {
        status: 200,
        description: 'Your account plans, by id',
        schema: z.object({ plans: z.array(accountPlanSchema) }).openapi('AccountPlanList'),
      },
      handler: async ({ caller }) => {
        const answer = await backends.as(caller, billing, billing.listAccountPlans, {});
        return { plans: answer.plans.map(accountPlanJson) };
      },
    }),
    route({
      method: 'get',
      path: '/v1/account-plans/{id}',
      operationId: 'getAccountPlan',
      problems: ['PLAN_NOT_FOUND'],
      summary: 'One of your account plans',
      tags: ['Account plans'],
      scope: 'billing:read',
      params: planParams,
      response: { status: 200, description: 'The account plan', schema: accountPlanSchema },
      handler: async ({ caller, params }) =>
        accountPlanJson(
          (await backends.as(caller, billing, billing.getAccountPlan, { planId: params.id })).plan,
        ),
    }),
    route({
      method: 'post',
      path: '/v1/account-plans/{id}/versions',
      operationId: 'addAccountPlanVersion',
      problems: ['PLAN_PRICES_INVALID', 'EFFECTIVE_FROM_IN_PAST', 'PLAN_NOT_FOUND'],
      summary: 'Add a price version to one of your account plans',
      description:
        'The new prices apply from `effectiveFrom` (now or later, after the latest version) to usage from then on; usage already rated keeps the prices and version it was rated at.',
      tags: ['Account plans'],
      scope: 'billing:write',
      params: planParams,
      body: z
        .object({ effectiveFrom, prices: pricesSchema })
        .strict()
        .openapi('AddAccountPlanVersionRequest'),
      response: {
        status: 201,
        description: 'The account plan with its new version',
        schema: accountPlanSchema,
      },
      handler: async ({ caller, params, body }) => {
        const answer = await backends.as(caller, billing, billing.addAccountPlanVersion, {
          planId: params.id,
          prices: toProto(body.prices),
          effectiveFrom: body.effectiveFrom ? new Date(body.effectiveFrom) : undefined,
        });
        return accountPlanJson(answer.plan);
      },
    }),
    route({
      method: 'put',
      path: '/v1/accounts/{accountId}/plan',
      operationId: 'setAccountPlan',
      problems: ['PLAN_NOT_FOUND'],
      summary: 'Resell one of your accounts on one of your account plans',
      description:
        "Usage of the account rated from now on gets a second line at the plan's price (version in force at the usage's time), and the account its own monthly invoice from you: you are the seller (your billing profile), the account the buyer (its billing profile, `PUT /v1/billing-profile` with `accountId`), numbered in your sequence. What you owe Parley does not change. A plan id that is not one of yours answers 404.",
      tags: ['Account plans'],
      scope: 'billing:write',
      params: accountParams,
      body: z.object({ planId: planParams.shape.id }).strict().openapi('SetAccountPlanRequest'),
      response: { status: 200, description: 'Assigned', schema: assignmentSchema },
      handler: async ({ caller, params, body }) => {
        const answer = await backends.as(caller, billing, billing.setAccountPlan, {
          accountId: params.accountId,
          planId: body.planId,
        });
        return {
          accountId: answer.accountId,
          planId: answer.planId || null,
          assignedAt: iso(answer.assignedAt) ?? null,
        };
      },
    }),
    route({
      method: 'get',
      path: '/v1/accounts/{accountId}/plan',
      operationId: 'getAccountPlanAssignment',
      summary: 'Which of your account plans one of your accounts is on',
      description:
        '`planId` null: the account is not resold (its usage is yours, on your invoice from Parley).',
      tags: ['Account plans'],
      scope: 'billing:read',
      params: accountParams,
      response: { status: 200, description: 'The assignment', schema: assignmentSchema },
      handler: async ({ caller, params }) => {
        const answer = await backends.as(caller, billing, billing.getAccountPlanAssignment, {
          accountId: params.accountId,
        });
        return {
          accountId: answer.accountId,
          planId: answer.planId || null,
          assignedAt: iso(answer.assignedAt) ?? null,
        };
      },
    }),
    route({
      method: 'delete',
      path: '/v1/accounts/{accountId}/plan',
      operationId: 'removeAccountPlan',
      summary: 'Stop reselling one of your accounts',
      description:
        'Usage of the account rated from now on is yours only (on your invoice from Parley); lines already rated at your price stay and are invoiced.',
      tags: ['Account plans'],
      scope: 'billing:write',
      params: accountParams,
      response: { status: 200, description: 'The account is on no account plan', schema: assignmentSchema },
      handler: async ({ caller, params }) => {
        const answer = await backends.as(caller, billing, billing.setAccountPlan, {
          accountId: params.accountId,
          planId: '',
        });
        return { accountId: answer.accountId, planId: null, assignedAt: null };
      },
    }),
  ];
}
