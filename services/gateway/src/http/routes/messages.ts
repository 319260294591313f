import { messagingV1 } from '@parley/proto';
import type { Backends } from '../../backends';
import { route } from '../route';
import { z } from '../zod';
import { httpsUrl, idParams, iso, nextPage, pageQuery, timestamp, webUrl } from '../schemas';

const e164 = z
  .string()
  .max(16)
  .regex(/^\+[1-9][0-9]{6,14}$/, 'an E.164 number, e.g. +14155550123');
const statuses = [
  'queued',
  'sending',
  'sent',
  'delivered',
  'undelivered',
  'failed',
  'expired',
  'received',
] as const;
const status = z.enum(statuses).openapi({
  description:
    'queued → sending → sent → delivered, or undelivered / failed (with `errorCode`), or expired when it waited longer than its validity period',
});

const messageSchema = z
  .object({
    id: z.uuid(),
    direction: z.enum(['outbound', 'inbound']),
    from: e164.openapi({ example: '+14155550123' }),
    to: e164.openapi({ example: '+447911123456' }),
    body: z.string().openapi({ description: 'The text; empty when none was sent or it is no longer kept' }),
    mediaUrls: z.array(z.string()),
    encoding: z.enum(['GSM-7', 'UCS-2']),
    segments: z.number().int().openapi({ description: 'SMS parts, as the carrier bills them' }),
    status,
    errorCode: z.string().openapi({
      description:
        'Why it failed or was not delivered: the carrier refusal (e.g. ESME_RSUBMITFAIL), the receipt (e.g. UNDELIV:001, EXPIRED), VALIDITY_PERIOD_PASSED, or RECIPIENT_OPTED_OUT (the recipient sent STOP after it was queued); empty otherwise',
    }),
    statusCallback: z.string(),
    forwardedTo: z.string().openapi({
      description:
        "Inbound: the number's forwarding target it was forwarded to as an SMS from the Parley number; empty for none",
    }),
    expiresAt: timestamp,
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .openapi('Message');

const statusChangeSchema = z
  .object({ status, errorCode: z.string(), at: timestamp })
  .openapi('MessageStatusChange');

type MessageJson = z.infer<typeof messageSchema>;

function messageJson(message: messagingV1.MessageRecord | undefined): MessageJson {
  if (!message) throw new Error('service answered without a message');
  return {
    id: message.id,
    direction: message.direction === messagingV1.Direction.DIRECTION_INBOUND ? 'inbound' : 'outbound',
    from: message.from,
    to: message.to,
    body: message.body,
    mediaUrls: message.mediaUrls,
    encoding: message.encoding as MessageJson['encoding'],
    segments: message.segments,
    status: message.status as MessageJson['status'],
    errorCode: message.errorCode,
    statusCallback: message.statusCallback,
    forwardedTo: message.forwardedTo,
    expiresAt: iso(message.expiresAt) ?? '',
    createdAt: iso(message.createdAt) ?? '',
    updatedAt: iso(message.updatedAt) ?? '',
  };
}

const exampleMessage: MessageJson = {
  id: '019a7c3e-8f20-7b41-9c2d-5e6f7a8b9c0d',
  direction: 'outbound',
  from: '+14155550123',
  to: '+447911123456',
  body: 'Your code is 123456',
  mediaUrls: [],
  encoding: 'GSM-7',
  segments: 1,
  status: 'queued',
  errorCode: '',
  statusCallback: 'https://example.com/parley/status',
  forwardedTo: '',
  expiresAt: '2026-12-01T16:30:00.000Z',
  createdAt: '2026-12-01T12:30:00.000Z',
  updatedAt: '2026-12-01T12:30:00.000Z',
};

export function messageRoutes(backends: Backends) {
  const { messaging } = backends;
  return [
    route({
      method: 'post',
      path: '/v1/messages',
      operationId: 'sendMessage',
      problems: [
        'MESSAGING_INVALID_REQUEST',
        'SENDER_NOT_FOUND',
        'SENDER_CAPABILITY_MISSING',
        'PROCESSING_RESTRICTED',
        'RECIPIENT_OPTED_OUT',
        'INSUFFICIENT_BALANCE',
        'BILLING_NOT_READY',
      ],
      summary: 'Send an SMS, or an MMS when mediaUrls are given',
      description:
        'Answers at once with the message `queued`, its encoding and segment count; it is then sent to the carrier over SMPP and moves through `sending`, `sent` and `delivered` (or `undelivered`, `failed` or `expired`): follow it with `GET /v1/messages/{id}`. `from` must be an active number of this tenant with the sms capability (mms for media), and `to` must not have opted out of messages from it (STOP; START opts back in), else 422 `RECIPIENT_OPTED_OUT`. A prepaid tenant whose balance (plus credit limit) does not cover the send gets 422 `INSUFFICIENT_BALANCE`; a top-up unblocks it at once. A body is 1-1,600 characters (UTF-16 code units: an emoji counts 2); media URLs are stored, not fetched. Send an `Idempotency-Key`: a retried request answers with the same message and sends nothing more.',
      tags: ['Messages'],
      scope: 'messages:write',
      body: z
        .object({
          from: e164.openapi({ description: 'A number of this tenant', example: '+14155550123' }),
          to: e164.openapi({ example: '+447911123456' }),
          body: z.string().max(1600).optional(),
          mediaUrls: z.array(httpsUrl).max(10).optional().openapi({
            description: '1-10 https URLs of media to send as MMS',
          }),
          statusCallback: webUrl.optional().openapi({
            description: 'An http(s) URL told of every status change (a signed Standard Webhooks POST)',
          }),
          validityPeriod: z.number().int().min(60).max(14400).optional().openapi({
            description: 'Seconds it may wait to be sent before it expires (default 14,400: 4 hours)',
          }),
        })
        .strict()
        .openapi('SendMessageRequest'),
      response: { status: 202, description: 'The message, queued', schema: messageSchema },
      examples: {
        request: {
          from: '+14155550123',
          to: '+447911123456',
          body: 'Your code is 123456',
          statusCallback: 'https://example.com/parley/status',
        },
        response: exampleMessage,
      },
      handler: async ({ caller, body }) =>
        messageJson(
          (
            await backends.as(caller, messaging, messaging.sendMessage, {
              from: body.from,
              to: body.to,
              body: body.body ?? '',
              mediaUrls: body.mediaUrls ?? [],
              statusCallback: body.statusCallback ?? '',
              validityPeriodSeconds: body.validityPeriod ?? 0,
            })
          ).message,
        ),
    }),
    route({
      method: 'get',
      path: '/v1/messages/{id}',
      operationId: 'getMessage',
      problems: ['MESSAGE_NOT_FOUND'],
      summary: 'One message of the tenant with its status history',
      tags: ['Messages'],
      scope: 'messages:read',
      params: idParams,
      response: {
        status: 200,
        description: 'The message and every status it went through, oldest first',
        schema: messageSchema.extend({ history: z.array(statusChangeSchema) }).openapi('MessageWithHistory'),
      },
      examples: {
        response: {
          ...exampleMessage,
          status: 'delivered',
          updatedAt: '2026-12-01T12:30:02.000Z',
          history: [
            { status: 'queued', errorCode: '', at: '2026-12-01T12:30:00.000Z' },
            { status: 'sending', errorCode: '', at: '2026-12-01T12:30:00.200Z' },
            { status: 'sent', errorCode: '', at: '2026-12-01T12:30:00.300Z' },
            { status: 'delivered', errorCode: '', at: '2026-12-01T12:30:02.000Z' },
          ],
        },
      },
      handler: async ({ caller, params }) => {
        const found = await backends.as(caller, messaging, messaging.getMessage, { id: params.id });
        return {
          ...messageJson(found.message),
          history: found.history.map((change) => ({
            status: change.status as MessageJson['status'],
            errorCode: change.errorCode,
            at: iso(change.at) ?? '',
          })),
        };
      },
    }),
    route({
      method: 'get',
      path: '/v1/messages',
      operationId: 'listMessages',
      problems: ['MESSAGING_INVALID_REQUEST', 'PAGE_TOKEN_INVALID', 'PAGE_SIZE_INVALID'],
      summary: "The tenant's messages, newest first",
      tags: ['Messages'],
      scope: 'messages:read',
      query: pageQuery.extend({
        phoneNumber: e164.optional().openapi({ description: 'Only messages from or to this number' }),
        direction: z.enum(['outbound', 'inbound']).optional(),
        status: z.enum(statuses).optional(),
        createdAfter: timestamp.optional().openapi({ description: 'Only messages created at or after this' }),
        createdBefore: timestamp.optional().openapi({ description: 'Only messages created before this' }),
      }),
      response: {
        status: 200,
        description: 'A page of messages',
        schema: z
          .object({ messages: z.array(messageSchema), nextPageToken: nextPage })
          .openapi('MessagePage'),
      },
      handler: async ({ caller, query }) => {
        const page = await backends.as(caller, messaging, messaging.listMessages, {
          pageSize: query.pageSize ?? 0,
          pageToken: query.pageToken ?? '',
          phoneNumber: query.phoneNumber ?? '',
          direction:
            query.direction === 'outbound'
              ? messagingV1.Direction.DIRECTION_OUTBOUND
              : query.direction === 'inbound'
                ? messagingV1.Direction.DIRECTION_INBOUND
                : messagingV1.Direction.DIRECTION_UNSPECIFIED,
          status: query.status ?? '',
          ...(query.createdAfter ? { createdAfter: new Date(query.createdAfter) } : {}),
          ...(query.createdBefore ? { createdBefore: new Date(query.createdBefore) } : {}),
        });
        return { messages: page.messages.map(messageJson), nextPageToken: page.nextPageToken };
      },
    }),
  ];
}
