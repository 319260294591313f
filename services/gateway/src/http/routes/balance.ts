import type { Backends } from '../../backends';
import { route } from '../route';
import { iso, tenantIdParams, timestamp } from '../schemas';
import { z } from '../zod';

const minor = z
  .string()
  .regex(/^-?\d{1,18}$/, 'must be a whole number of minor units as a string')
  .openapi({ description: 'Minor units (cents) as a decimal string', example: '1000' });

const balanceSchema = z
  .object({
    currency: z.string().openapi({ example: 'USD' }),
    balanceMinor: minor,
    billingMode: z.enum(['prepaid', 'postpaid']).openapi({
      description:
        'prepaid: a send the balance plus credit limit cannot cover is refused (422 INSUFFICIENT_BALANCE)',
    }),
    creditLimitMinor: minor.openapi({ description: 'How far below zero a prepaid balance may go' }),
    lowBalanceThresholdMinor: minor
      .nullable()
      .openapi({ description: '`billing.balance.low` is published below this; null: never' }),
    planId: z
      .string()
      .openapi({ description: 'The plan usage is rated on; empty for none', example: 'standard' }),
    openedAt: timestamp,
  })
  .openapi('Wallet');

const tenantParams = z.object({ tenantId: tenantIdParams.shape.id });

/** The tenant's wallet and usage; platform operators set billing mode and credit limit. */
export function balanceRoutes(backends: Backends) {
  const { billing } = backends;
  const wallet = async (caller: Parameters<typeof backends.as>[0]) => {
    const answer = await backends.as(caller, billing, billing.getBalance, {});
    return {
      currency: answer.currency,
      balanceMinor: answer.balanceMinor,
      billingMode: answer.billingMode === 'postpaid' ? ('postpaid' as const) : ('prepaid' as const),
      creditLimitMinor: answer.creditLimitMinor,
      lowBalanceThresholdMinor: answer.lowBalanceThresholdMinor ?? null,
      planId: answer.planId,
      openedAt: iso(answer.openedAt) ?? '',
    };
  };
  return [
    route({
      method: 'get',
      path: '/v1/balance',
      operationId: 'getWallet',
      problems: ['BILLING_ACCOUNT_NOT_FOUND'],
      summary: "The tenant's balance, billing mode, credit limit and low-balance threshold",
      description:
        'Rated usage is debited as it is rated and top-ups are credited once per payment, so the balance is current to the last rated event.',
      tags: ['Billing'],
      scope: 'billing:read',
      response: { status: 200, description: 'The wallet', schema: balanceSchema },
      handler: ({ caller }) => wallet(caller),
    }),
    route({
      method: 'patch',
      path: '/v1/balance',
      operationId: 'setLowBalanceThreshold',
      problems: ['BILLING_ACCOUNT_NOT_FOUND', 'THRESHOLD_INVALID'],
      summary: 'Set the balance below which `billing.balance.low` is published',
      description: 'Published once each time a prepaid balance falls below it; null turns the alert off.',
      tags: ['Billing'],
      scope: 'billing:write',
      body: z.object({ lowBalanceThresholdMinor: minor.nullable() }).strict().openapi('LowBalanceThreshold'),
      response: { status: 200, description: 'The wallet after the change', schema: balanceSchema },
      handler: async ({ caller, body }) => {
        await backends.as(caller, billing, billing.setLowBalanceThreshold, {
          thresholdMinor: body.lowBalanceThresholdMinor ?? undefined,
        });
        return wallet(caller);
      },
    }),
    route({
      method: 'get',
      path: '/v1/usage',
      operationId: 'summariseUsage',
      problems: ['USAGE_QUERY_INVALID'],
      summary: 'Rated usage summed by day and category',
      description:
        'Each line is quantity × unit price rounded once (half away from zero); the amounts here are sums of those lines. Days are UTC. Without `from`, from the start of the current month; without `to`, until now; at most 367 days.',
      tags: ['Billing'],
      scope: 'billing:read',
      query: z.object({
        from: z.string().datetime({ offset: true }).optional().openapi({ example: '2026-11-01T00:00:00Z' }),
        to: z.string().datetime({ offset: true }).optional().openapi({ example: '2026-12-01T00:00:00Z' }),
        category: z
          .enum([
            'sms_outbound',
            'mms_outbound',
            'message_inbound',
            'number_setup',
            'number_rent',
            'call_inbound',
            'call_outbound',
          ])
          .optional(),
        accountId: z.string().max(100).optional().openapi({ description: 'Only usage of this account' }),
        seller: z.enum(['platform', 'tenant']).optional().openapi({
          description:
            "`platform` (default): what Parley charged you, your accounts' usage included. `tenant`: what you charged the accounts you resell, at your account plans",
        }),
      }),
      response: {
        status: 200,
        description: 'One total per day and category, by day then category',
        schema: z
          .object({
            totals: z.array(
              z.object({
                day: z.string().openapi({ example: '2026-11-16' }),
                category: z.string().openapi({ example: 'sms_outbound' }),
                lines: z.number().int(),
                quantity: z
                  .string()
                  .openapi({ description: 'Units summed (segments, minutes, ...)', example: '613' }),
                amount: z.object({ currency: z.string(), minorUnits: minor }),
              }),
            ),
          })
          .openapi('UsageSummary'),
      },
      handler: async ({ caller, query }) => {
        const answer = await backends.as(caller, billing, billing.summariseUsage, {
          from: query.from ? new Date(query.from) : undefined,
          to: query.to ? new Date(query.to) : undefined,
          category: query.category ?? '',
          accountId: query.accountId ?? '',
          seller: query.seller ?? '',
        });
        return {
          totals: answer.totals.map((total) => ({
            day: total.day,
            category: total.category,
            lines: Number(total.lines),
            quantity: total.quantity,
            amount: { currency: total.amount?.currency ?? '', minorUnits: total.amount?.minorUnits ?? '0' },
          })),
        };
      },
    }),
    route({
      method: 'patch',
      path: '/v1/admin/tenants/{tenantId}/wallet',
      operationId: 'updateTenantWallet',
      problems: ['BILLING_ACCOUNT_NOT_FOUND', 'WALLET_INVALID', 'TENANT_ID_INVALID'],
      summary: "Change a tenant's billing mode, credit limit or low-balance threshold",
      description:
        'prepaid: sends are authorised against balance plus credit limit; postpaid: every send is allowed and invoiced. The change reaches every billing replica at once.',
      tags: ['Billing'],
      scope: 'platform:admin',
      params: tenantParams,
      body: z
        .object({
          billingMode: z.enum(['prepaid', 'postpaid']).optional(),
          creditLimitMinor: minor.optional(),
          lowBalanceThresholdMinor: minor.nullable().optional(),
        })
        .strict()
        .openapi('WalletSettings'),
      response: {
        status: 200,
        description: 'Changed',
        schema: z.object({ tenantId: z.string() }).openapi('WalletUpdated'),
      },
      handler: async ({ caller, params, body }) => {
        await backends.as(caller, billing, billing.updateWallet, {
          tenantId: params.tenantId,
          billingMode: body.billingMode,
          creditLimitMinor: body.creditLimitMinor,
          lowBalanceThresholdMinor:
            body.lowBalanceThresholdMinor === null ? '-1' : (body.lowBalanceThresholdMinor ?? undefined),
        });
        return { tenantId: params.tenantId };
      },
    }),
  ];
}
