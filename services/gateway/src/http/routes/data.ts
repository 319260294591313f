import type { Backends } from '../../backends';
import { route } from '../route';
import { z } from '../zod';
import { iso, timestamp } from '../schemas';

export function dataRoutes(backends: Backends) {
  return [
    route({
      method: 'get',
      path: '/v1/billing/balance',
      operationId: 'getBalance',
      problems: ['BILLING_ACCOUNT_NOT_FOUND'],
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
  ];
}
