import type { numberingV1 } from '@parley/proto';
import type { Backends } from '../../backends';
import { route } from '../route';
import { z } from '../zod';
import { idParams, iso, money, nextPage, pageQuery, timestamp } from '../schemas';

const e164 = z
  .string()
  .max(16)
  .regex(/^\+[1-9][0-9]{6,14}$/, 'an E.164 number, e.g. +14155550123')
  .openapi({ example: '+14155550123' });
const capability = z.enum(['sms', 'mms', 'voice']);
const numberType = z.enum(['local', 'mobile', 'toll_free']);
const accountId = z.string().max(64).openapi({ description: 'An account id of the tenant' });
const moneyJson = (value: { currency: string; minorUnits: string } | undefined) =>
  value ?? { currency: 'USD', minorUnits: '0' };

const availableNumberSchema = z
  .object({
    phoneNumber: e164,
    country: z.string().openapi({ example: 'US' }),
    locality: z.string().openapi({ example: 'San Francisco' }),
    region: z.string().openapi({ example: 'CA' }),
    areaCode: z.string().openapi({ example: '415' }),
    type: numberType,
    capabilities: z.array(capability).openapi({ example: ['sms', 'voice'] }),
    setupPrice: money,
    monthlyPrice: money,
  })
  .openapi('AvailableNumber');

const orderSchema = z
  .object({
    id: z.uuid(),
    phoneNumber: e164,
    status: z.enum(['pending', 'active', 'failed']),
    failureReason: z
      .string()
      .openapi({ description: 'When failed: carrier_rejected, number_unavailable, ...', example: '' }),
    numberId: z.string().openapi({ description: 'The number once active' }),
    createdAt: timestamp,
    completedAt: timestamp.optional(),
  })
  .openapi('NumberOrder');

const numberSchema = z
  .object({
    id: z.uuid(),
    e164,
    country: z.string(),
    status: z.enum(['active', 'quarantined', 'released']),
    type: numberType,
    capabilities: z.array(capability),
    accountId: z.string().nullable().openapi({ description: 'The account it is assigned to; null for none' }),
    friendlyName: z.string(),
    forwardingTarget: z.string().openapi({ description: 'E.164, empty for none', example: '+14155550199' }),
    callerId: z
      .string()
      .openapi({ description: 'Caller ID on forwarded calls, empty for the number itself' }),
    messagingWebhookUrl: z.string(),
    voiceWebhookUrl: z.string(),
    messagingProfile: z.string(),
    throughputClass: z.enum(['long_code', 'toll_free', 'short_code']),
    setupPrice: money,
    monthlyPrice: money,
    assignedAt: timestamp,
    releasedAt: timestamp.optional(),
    quarantineUntil: timestamp.optional(),
  })
  .openapi('PhoneNumber');

const portInSchema = z
  .object({
    id: z.uuid(),
    status: z.enum([
      'draft',
      'submitted',
      'exception',
      'foc_date_confirmed',
      'activating',
      'ported',
      'cancelled',
    ]),
    phoneNumbers: z.array(e164),
    losingCarrier: z.string(),
    accountNumber: z.string(),
    authorizedName: z.string(),
    address: z.object({
      line1: z.string(),
      line2: z.string(),
      city: z.string(),
      region: z.string(),
      postalCode: z.string(),
      country: z.string(),
    }),
    requestedDate: timestamp,
    focDate: timestamp.optional(),
    exceptionReason: z.string().openapi({ description: 'In exception: pin_mismatch, name_mismatch, ...' }),
    documents: z.array(z.object({ kind: z.string(), fileName: z.string(), sizeBytes: z.number().int() })),
    accountId: z
      .string()
      .nullable()
      .openapi({ description: 'The account its numbers are assigned to once ported; null for none' }),
    createdAt: timestamp,
  })
  .openapi('PortIn');

const settingsSchema = z
  .object({
    billingCurrency: z.string().openapi({ example: 'USD' }),
    quarantineDays: z.number().int(),
    erasurePolicy: z.enum(['unassign', 'release']),
  })
  .openapi('NumberingSettings');

function orderJson(order: numberingV1.NumberOrder | undefined): z.infer<typeof orderSchema> {
  if (!order) throw new Error('service answered without an order');
  return {
    ...order,
    status: order.status as z.infer<typeof orderSchema>['status'],
    createdAt: iso(order.createdAt) ?? '',
    completedAt: iso(order.completedAt),
  };
}

function numberJson(number: numberingV1.PhoneNumber | undefined): z.infer<typeof numberSchema> {
  if (!number) throw new Error('service answered without a number');
  return {
    ...number,
    status: number.status as z.infer<typeof numberSchema>['status'],
    type: number.type as z.infer<typeof numberType>,
    capabilities: number.capabilities as z.infer<typeof capability>[],
    accountId: number.accountId || null,
    throughputClass: number.throughputClass as z.infer<typeof numberSchema>['throughputClass'],
    setupPrice: moneyJson(number.setupPrice),
    monthlyPrice: moneyJson(number.monthlyPrice),
    assignedAt: iso(number.assignedAt) ?? '',
    releasedAt: iso(number.releasedAt),
    quarantineUntil: iso(number.quarantineUntil),
  };
}

function portInJson(portIn: numberingV1.PortIn | undefined): z.infer<typeof portInSchema> {
  if (!portIn) throw new Error('service answered without a port-in');
  return {
    ...portIn,
    status: portIn.status as z.infer<typeof portInSchema>['status'],
    address: portIn.address ?? { line1: '', line2: '', city: '', region: '', postalCode: '', country: '' },
    requestedDate: iso(portIn.requestedDate) ?? '',
    focDate: iso(portIn.focDate),
    documents: portIn.documents.map((doc) => ({ ...doc, sizeBytes: Number(doc.sizeBytes) })),
    accountId: portIn.accountId || null,
    createdAt: iso(portIn.createdAt) ?? '',
  };
}

const settingsJson = (settings: numberingV1.NumberingSettings | undefined) => {
  if (!settings) throw new Error('service answered without settings');
  return { ...settings, erasurePolicy: settings.erasurePolicy as 'unassign' | 'release' };
};

/** An E.164 number, or the empty string that clears the setting. */
const e164OrEmpty = z
  .string()
  .max(16)
  .regex(/^(\+[1-9][0-9]{6,14})?$/, 'an E.164 number, e.g. +14155550199, or empty to clear');
/** An http(s) URL, or the empty string that clears the setting. */
const urlOrEmpty = z
  .string()
  .max(2000)
  .regex(/^(https?:\/\/[^\s]+)?$/i, 'an http(s) URL of at most 2000 characters, or empty to clear');

// Every field is checked here at once, so a client hears of all its mistakes in one answer; numbering
// checks them again (and what needs the number, such as capabilities).
const patchBody = z
  .object({
    friendlyName: z.string().max(100).optional(),
    accountId: accountId.optional().openapi({ description: 'Empty string unassigns' }),
    forwardingTarget: e164OrEmpty.optional().openapi({
      description: 'E.164 number calls and messages go on to; empty string clears',
      example: '+14155550199',
    }),
    callerId: e164OrEmpty.optional().openapi({
      description: 'E.164 caller ID shown on forwarded calls (needs voice); empty clears',
      example: '+14155550123',
    }),
    messagingWebhookUrl: urlOrEmpty
      .optional()
      .openapi({ description: 'Needs sms or mms; empty clears', example: 'https://example.com/sms' }),
    voiceWebhookUrl: urlOrEmpty
      .optional()
      .openapi({ description: 'Needs voice; empty clears', example: 'https://example.com/voice' }),
    messagingProfile: z
      .string()
      .max(64)
      .regex(/^[A-Za-z0-9_-]*$/, 'up to 64 letters, digits, _ or -')
      .optional()
      .openapi({ example: 'default' }),
    throughputClass: z.enum(['long_code', 'toll_free', 'short_code']).optional(),
  })
  .strict()
  .openapi('UpdateNumberRequest');

const portInBody = z
  .object({
    phoneNumbers: z.array(e164).min(1).max(50),
    losingCarrier: z.string().min(1).max(100),
    accountNumber: z.string().min(1).max(50),
    pin: z.string().max(20).optional().openapi({ description: 'Never stored after submission' }),
    authorizedName: z.string().min(1).max(200),
    address: z
      .object({
        line1: z.string().min(1).max(200),
        line2: z.string().max(200).optional(),
        city: z.string().min(1).max(100),
        region: z.string().max(100).optional(),
        postalCode: z.string().min(1).max(20),
        country: z.string().length(2).openapi({ example: 'US' }),
      })
      .strict(),
    requestedDate: z.iso.datetime().openapi({ example: '2026-12-10T00:00:00.000Z' }),
    documents: z
      .array(
        z
          .object({
            kind: z.string().min(1).max(50),
            fileName: z.string().min(1).max(200),
            sizeBytes: z.number().int().min(0),
          })
          .strict(),
      )
      .max(20)
      .optional(),
    accountId: accountId.optional(),
    draft: z.boolean().optional().openapi({ description: 'Keep as a draft (not submitted)' }),
  })
  .strict()
  .openapi('CreatePortInRequest');

export function numberRoutes(backends: Backends) {
  const { numbering } = backends;
  return [
    route({
      method: 'get',
      path: '/v1/available-numbers',
      operationId: 'searchAvailableNumbers',
      problems: [
        'COUNTRY_UNKNOWN',
        'PATTERN_MALFORMED',
        'NUMBERING_INVALID_REQUEST',
        'CURRENCY_NOT_SUPPORTED',
        'SUPPLIER_UNAVAILABLE',
      ],
      summary: "Search numbers to buy, priced in the tenant's billing currency",
      description:
        '`contains` is digits and `*` (any one digit) matched anywhere in the national number; every capability listed is required. Numbers someone holds (bought, porting or in quarantine) are not shown.',
      tags: ['Numbers'],
      scope: 'numbers:read',
      query: z.object({
        country: z
          .string({ error: 'required: an ISO 3166-1 alpha-2 country code, e.g. US' })
          .min(1)
          .max(2)
          .openapi({ description: 'ISO 3166-1 alpha-2', example: 'US' }),
        areaCode: z.string().max(6).optional().openapi({ example: '415' }),
        type: numberType.optional(),
        capabilities: z
          .string()
          .max(30)
          .optional()
          .openapi({ description: 'Comma-separated: sms, mms, voice', example: 'sms,voice' }),
        contains: z.string().max(15).optional().openapi({ example: '55' }),
        limit: z.coerce
          .number()
          .int()
          .min(1)
          .max(100)
          .optional()
          .openapi({ description: '1-100, default 20' }),
      }),
      response: {
        status: 200,
        description: 'The numbers found',
        schema: z.object({ numbers: z.array(availableNumberSchema) }).openapi('AvailableNumberList'),
      },
      handler: async ({ caller, query }) => {
        const result = await backends.as(caller, numbering, numbering.searchAvailableNumbers, {
          country: query.country,
          areaCode: query.areaCode ?? '',
          type: query.type ?? '',
          capabilities: query.capabilities ? query.capabilities.split(',').map((part) => part.trim()) : [],
          contains: query.contains ?? '',
          limit: query.limit ?? 0,
        });
        return {
          numbers: result.numbers.map((number) => ({
            ...number,
            type: number.type as z.infer<typeof numberType>,
            capabilities: number.capabilities as z.infer<typeof capability>[],
            setupPrice: moneyJson(number.setupPrice),
            monthlyPrice: moneyJson(number.monthlyPrice),
          })),
        };
      },
    }),
    route({
      method: 'post',
      path: '/v1/number-reservations',
      operationId: 'reserveNumbers',
      problems: [
        'NUMBERING_INVALID_REQUEST',
        'NUMBER_NOT_AVAILABLE',
        'NUMBER_IN_QUARANTINE',
        'NUMBER_ALREADY_OWNED',
        'NUMBER_NOT_SEARCHED',
        'SUPPLIER_REJECTED',
        'SUPPLIER_UNAVAILABLE',
      ],
      summary: 'Hold up to 10 found numbers for 30 minutes',
      tags: ['Numbers'],
      scope: 'numbers:write',
      body: z
        .object({ phoneNumbers: z.array(e164).min(1).max(10) })
        .strict()
        .openapi('ReserveNumbersRequest'),
      response: {
        status: 201,
        description: 'The reservation',
        schema: z
          .object({ id: z.uuid(), phoneNumbers: z.array(e164), expiresAt: timestamp, createdAt: timestamp })
          .openapi('NumberReservation'),
      },
      handler: async ({ caller, body }) => {
        const { reservation } = await backends.as(caller, numbering, numbering.reserveNumbers, body);
        if (!reservation) throw new Error('service answered without a reservation');
        return {
          ...reservation,
          expiresAt: iso(reservation.expiresAt) ?? '',
          createdAt: iso(reservation.createdAt) ?? '',
        };
      },
    }),
    route({
      method: 'post',
      path: '/v1/numbers',
      operationId: 'buyNumber',
      problems: [
        'NUMBERING_INVALID_REQUEST',
        'NUMBER_NOT_AVAILABLE',
        'NUMBER_ALREADY_OWNED',
        'NUMBER_IN_QUARANTINE',
        'NUMBER_NOT_SEARCHED',
        'RESERVATION_EXPIRED',
      ],
      summary: 'Buy a number: creates an order that goes from pending to active (or failed)',
      description:
        'The number must have been found by a search of this tenant or be held by its reservation. Send an `Idempotency-Key`: a retried request returns the same order and buys nothing more. Follow the order with `GET /v1/number-orders/{id}`; on activation `numbering.number.assigned` is published (billing charges setup and monthly rent from it). A supplier outage does not lose the order: it completes when the supplier is back.',
      tags: ['Numbers'],
      scope: 'numbers:write',
      body: z
        .object({ phoneNumber: e164, accountId: accountId.optional() })
        .strict()
        .openapi('BuyNumberRequest', { example: { phoneNumber: '+14155550123' } }),
      response: { status: 202, description: 'The order, pending', schema: orderSchema },
      handler: async ({ caller, body }) =>
        orderJson(
          (
            await backends.as(caller, numbering, numbering.createNumberOrder, {
              phoneNumber: body.phoneNumber,
              accountId: body.accountId ?? '',
            })
          ).order,
        ),
    }),
    route({
      method: 'get',
      path: '/v1/number-orders/{id}',
      operationId: 'getNumberOrder',
      problems: ['NUMBER_ORDER_NOT_FOUND'],
      summary: 'One number order of the tenant',
      tags: ['Numbers'],
      scope: 'numbers:read',
      params: idParams,
      response: { status: 200, description: 'The order', schema: orderSchema },
      handler: async ({ caller, params }) =>
        orderJson(
          (await backends.as(caller, numbering, numbering.getNumberOrder, { orderId: params.id })).order,
        ),
    }),
    route({
      method: 'get',
      path: '/v1/numbers',
      operationId: 'listNumbers',
      problems: ['NUMBERING_INVALID_REQUEST', 'PAGE_TOKEN_INVALID', 'PAGE_SIZE_INVALID'],
      summary: "The tenant's phone numbers, newest first",
      tags: ['Numbers'],
      scope: 'numbers:read',
      query: pageQuery.extend({
        capability: capability.optional(),
        status: z.enum(['active', 'quarantined']).optional(),
        country: z.string().length(2).optional().openapi({ example: 'US' }),
        accountId: accountId.optional(),
      }),
      response: {
        status: 200,
        description: 'A page of numbers',
        schema: z.object({ numbers: z.array(numberSchema), nextPageToken: nextPage }).openapi('NumberPage'),
      },
      handler: async ({ caller, query }) => {
        const page = await backends.as(caller, numbering, numbering.listNumbers, {
          pageSize: query.pageSize ?? 0,
          pageToken: query.pageToken ?? '',
          capability: query.capability ?? '',
          status: query.status ?? '',
          country: query.country ?? '',
          accountId: query.accountId ?? '',
        });
        return { numbers: page.numbers.map(numberJson), nextPageToken: page.nextPageToken };
      },
    }),
    route({
      method: 'get',
      path: '/v1/numbers/{id}',
      operationId: 'getNumber',
      problems: ['NUMBER_NOT_FOUND'],
      summary: 'One number of the tenant',
      tags: ['Numbers'],
      scope: 'numbers:read',
      params: idParams,
      response: { status: 200, description: 'The number', schema: numberSchema },
      handler: async ({ caller, params }) =>
        numberJson(
          (await backends.as(caller, numbering, numbering.getNumber, { numberId: params.id })).number,
        ),
    }),
    route({
      method: 'patch',
      path: '/v1/numbers/{id}',
      operationId: 'updateNumber',
      problems: ['NUMBERING_INVALID_REQUEST', 'NUMBER_NOT_FOUND', 'CAPABILITY_MISSING', 'NUMBER_NOT_ACTIVE'],
      summary: 'Configure a number',
      description:
        'Fields present change; an empty string clears. Publishes `numbering.number.configured` naming the changed fields.',
      tags: ['Numbers'],
      scope: 'numbers:write',
      params: idParams,
      body: patchBody,
      response: { status: 200, description: 'The number after the change', schema: numberSchema },
      handler: async ({ caller, params, body }) =>
        numberJson(
          (await backends.as(caller, numbering, numbering.updateNumber, { numberId: params.id, patch: body }))
            .number,
        ),
    }),
    route({
      method: 'delete',
      path: '/v1/numbers/{id}',
      operationId: 'releaseNumber',
      problems: ['NUMBER_NOT_FOUND', 'NUMBER_NOT_ACTIVE'],
      summary: 'Release a number into quarantine',
      description:
        "The number goes back to the supplier and into quarantine for the tenant's quarantine days (default 30): nobody can buy it meanwhile, except this tenant within 10 days. Publishes `numbering.number.released`. Releasing a released number returns it unchanged.",
      tags: ['Numbers'],
      scope: 'numbers:write',
      params: idParams,
      response: { status: 200, description: 'The number, quarantined', schema: numberSchema },
      handler: async ({ caller, params }) =>
        numberJson(
          (await backends.as(caller, numbering, numbering.releaseNumber, { numberId: params.id })).number,
        ),
    }),
    route({
      method: 'post',
      path: '/v1/port-ins',
      operationId: 'createPortIn',
      problems: ['NUMBERING_INVALID_REQUEST', 'NUMBER_NOT_AVAILABLE', 'NUMBER_ALREADY_OWNED'],
      summary: 'Port numbers in from another carrier',
      description:
        'States: draft, submitted, exception (see `exceptionReason`), foc_date_confirmed, activating, ported, cancelled. Ported numbers become active numbers of the tenant.',
      tags: ['Port-ins'],
      scope: 'numbers:write',
      body: portInBody,
      response: { status: 202, description: 'The port-in', schema: portInSchema },
      handler: async ({ caller, body }) =>
        portInJson(
          (
            await backends.as(caller, numbering, numbering.createPortIn, {
              phoneNumbers: body.phoneNumbers,
              losingCarrier: body.losingCarrier,
              accountNumber: body.accountNumber,
              pin: body.pin ?? '',
              authorizedName: body.authorizedName,
              address: {
                ...body.address,
                line2: body.address.line2 ?? '',
                region: body.address.region ?? '',
              },
              requestedDate: new Date(body.requestedDate),
              documents: (body.documents ?? []).map((doc) => ({ ...doc, sizeBytes: String(doc.sizeBytes) })),
              accountId: body.accountId ?? '',
              draft: body.draft ?? false,
            })
          ).portIn,
        ),
    }),
    route({
      method: 'get',
      path: '/v1/port-ins',
      operationId: 'listPortIns',
      problems: ['PAGE_TOKEN_INVALID', 'PAGE_SIZE_INVALID'],
      summary: "The tenant's port-ins, newest first",
      tags: ['Port-ins'],
      scope: 'numbers:read',
      query: pageQuery,
      response: {
        status: 200,
        description: 'A page of port-ins',
        schema: z.object({ portIns: z.array(portInSchema), nextPageToken: nextPage }).openapi('PortInPage'),
      },
      handler: async ({ caller, query }) => {
        const page = await backends.as(caller, numbering, numbering.listPortIns, {
          pageSize: query.pageSize ?? 0,
          pageToken: query.pageToken ?? '',
        });
        return { portIns: page.portIns.map(portInJson), nextPageToken: page.nextPageToken };
      },
    }),
    route({
      method: 'get',
      path: '/v1/port-ins/{id}',
      operationId: 'getPortIn',
      problems: ['PORT_IN_NOT_FOUND'],
      summary: 'One port-in of the tenant',
      tags: ['Port-ins'],
      scope: 'numbers:read',
      params: idParams,
      response: { status: 200, description: 'The port-in', schema: portInSchema },
      handler: async ({ caller, params }) =>
        portInJson(
          (await backends.as(caller, numbering, numbering.getPortIn, { portInId: params.id })).portIn,
        ),
    }),
    route({
      method: 'post',
      path: '/v1/port-ins/{id}/submit',
      operationId: 'submitPortIn',
      problems: ['PORT_IN_NOT_FOUND', 'PORT_IN_NOT_SUBMITTABLE', 'SUPPLIER_REJECTED', 'SUPPLIER_UNAVAILABLE'],
      summary: 'Submit a draft port-in to the carrier',
      description: 'Submitting one already on its way returns it unchanged.',
      tags: ['Port-ins'],
      scope: 'numbers:write',
      params: idParams,
      response: { status: 202, description: 'The port-in, on its way', schema: portInSchema },
      handler: async ({ caller, params }) =>
        portInJson(
          (await backends.as(caller, numbering, numbering.submitPortIn, { portInId: params.id })).portIn,
        ),
    }),
    route({
      method: 'post',
      path: '/v1/port-ins/{id}/cancel',
      operationId: 'cancelPortIn',
      problems: ['PORT_IN_NOT_FOUND', 'PORT_IN_NOT_CANCELLABLE', 'SUPPLIER_UNAVAILABLE'],
      summary: 'Cancel a port-in',
      description:
        'Refused once it is activating or ported, and within 48 hours of the confirmed (FOC) date.',
      tags: ['Port-ins'],
      scope: 'numbers:write',
      params: idParams,
      response: { status: 200, description: 'The cancelled port-in', schema: portInSchema },
      handler: async ({ caller, params }) =>
        portInJson(
          (await backends.as(caller, numbering, numbering.cancelPortIn, { portInId: params.id })).portIn,
        ),
    }),
    route({
      method: 'get',
      path: '/v1/numbering/settings',
      operationId: 'getNumberingSettings',
      summary: "The tenant's numbering settings",
      tags: ['Numbers'],
      scope: 'numbers:read',
      response: { status: 200, description: 'The settings', schema: settingsSchema },
      handler: async ({ caller }) =>
        settingsJson((await backends.as(caller, numbering, numbering.getNumberingSettings, {})).settings),
    }),
    route({
      method: 'patch',
      path: '/v1/numbering/settings',
      operationId: 'updateNumberingSettings',
      problems: ['NUMBERING_INVALID_REQUEST', 'CURRENCY_NOT_SUPPORTED'],
      summary: "Change the tenant's billing currency, quarantine days or erasure policy",
      description:
        "The billing currency must be the supplier's (USD) or one the exchange-rate table (`EXCHANGE_RATES`) converts into.",
      tags: ['Numbers'],
      scope: 'tenant:write',
      body: z
        .object({
          billingCurrency: z.string().length(3).optional().openapi({ example: 'EUR' }),
          quarantineDays: z.number().int().min(0).max(365).optional(),
          erasurePolicy: z.enum(['unassign', 'release']).optional(),
        })
        .strict()
        .openapi('UpdateNumberingSettingsRequest'),
      response: { status: 200, description: 'The settings after the change', schema: settingsSchema },
      handler: async ({ caller, body }) =>
        settingsJson(
          (await backends.as(caller, numbering, numbering.updateNumberingSettings, body)).settings,
        ),
    }),
  ];
}
