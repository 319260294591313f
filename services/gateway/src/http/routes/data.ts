import { messagingV1 } from '@parley/proto';
import type { Backends } from '../../backends';
import { route } from '../route';
import { z } from '../zod';
import { iso, nextPage, pageQuery, timestamp } from '../schemas';

export function dataRoutes(backends: Backends) {
  return [
    route({
      method: 'get',
      path: '/v1/messages',
      operationId: 'listMessages',
      problems: ['PAGE_TOKEN_INVALID', 'PAGE_SIZE_INVALID'],
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
          phoneNumber: '',
          direction: messagingV1.Direction.DIRECTION_UNSPECIFIED,
          status: '',
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
