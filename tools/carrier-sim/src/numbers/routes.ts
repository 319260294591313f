import { Router, type Request } from 'express';
import { z } from 'zod';
import { badRequest } from '../errors';
import type { NumberStore } from './numberStore';
import { publicNumber } from './numberStore';
import { searchQuerySchema } from './search';

export const e164 = z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number (+ and 7 to 15 digits)');
const phoneNumbers = (max: number) =>
  z
    .array(e164)
    .min(1, 'must list at least one number')
    .max(max, `must list at most ${max} numbers`)
    .refine((list) => new Set(list).size === list.length, 'must not list a number twice');
const referenceSchema = z.string().min(1).max(128, 'must be at most 128 characters');
const callbackUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional();
const route = z.string().min(1).max(255, 'must be at most 255 characters');

const reservationBody = z.object({
  phoneNumbers: phoneNumbers(100),
  ttlSeconds: z.number().int().min(1).max(86_400, 'must be at most 86400 (one day)'),
  reference: referenceSchema,
});

const orderBody = z.object({
  phoneNumbers: phoneNumbers(100),
  reference: referenceSchema.optional(),
  reservationId: z.string().min(1).max(128).optional(),
  callbackUrl,
});

const routingBody = z.object({ messagingRoute: route.optional(), voiceRoute: route.optional() }).strict();

const portInBody = z.object({
  phoneNumbers: phoneNumbers(100),
  losingCarrier: z.string().min(1).max(200),
  accountNumber: z.string().min(1).max(64),
  pin: z
    .string()
    .regex(/^[A-Za-z0-9]{1,12}$/, 'must be 1 to 12 letters or digits')
    .optional(),
  authorizedName: z.string().min(1).max(200),
  address: z.object({
    line1: z.string().min(1).max(200),
    line2: z.string().max(200).optional(),
    city: z.string().min(1).max(100),
    region: z.string().max(100).optional(),
    postalCode: z.string().min(1).max(20),
    country: z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code'),
  }),
  requestedDate: z.iso
    .date('must be a date (YYYY-MM-DD)')
    .or(z.iso.datetime({ offset: true }).transform((value) => new Date(value).toISOString().slice(0, 10))),
  reference: referenceSchema,
  callbackUrl,
});

/** Validates with `schema`; the first problem becomes a 400 naming its field. */
export function parse<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = issue.path.join('.') || undefined;
  throw badRequest(field ? `${field} ${issue.message}` : issue.message, field);
}

function phoneNumberParam(request: Request): string {
  return parse(z.object({ phoneNumber: e164 }), request.params).phoneNumber;
}

/**
 * The supplier's number API, shaped like the big carriers' (Telnyx number search, reservations and
 * orders; Bandwidth port-in orders): JSON in, `{ "data": ... }` out.
 */
export function numbersRouter(store: NumberStore): Router {
  const router = Router();

  router.get('/available-numbers', (request, response) => {
    const query = parse(searchQuerySchema, request.query);
    const found = store.search(query);
    response.json({ data: found.map(publicNumber), meta: { count: found.length } });
  });

  router.post('/reservations', (request, response) => {
    const body = parse(reservationBody, request.body);
    const reservation = store.reserve(body.phoneNumbers, body.ttlSeconds, body.reference);
    response.status(201).json({ data: reservation });
  });

  router.get('/reservations/:id', (request, response) => {
    response.json({ data: store.getReservation(request.params.id) });
  });

  router.post('/orders', (request, response) => {
    const body = parse(orderBody, request.body);
    const reference = body.reference ?? request.get('idempotency-key');
    if (!reference) throw badRequest('reference (or an Idempotency-Key header) is required', 'reference');
    parse(z.object({ reference: referenceSchema }), { reference });
    const { order, replayed } = store.order({ ...body, reference });
    response.status(replayed ? 200 : 202).json({ data: order });
  });

  router.get('/orders/:id', (request, response) => {
    response.json({ data: store.getOrder(request.params.id) });
  });

  router.get('/numbers/:phoneNumber', (request, response) => {
    response.json({ data: store.getNumber(phoneNumberParam(request)) });
  });

  router.delete('/numbers/:phoneNumber', (request, response) => {
    store.release(phoneNumberParam(request));
    response.status(204).end();
  });

  router.put('/numbers/:phoneNumber/routing', (request, response) => {
    const phoneNumber = phoneNumberParam(request);
    const routing = parse(routingBody, request.body);
    response.json({ data: store.configureRouting(phoneNumber, routing) });
  });

  router.post('/port-ins', (request, response) => {
    const body = parse(portInBody, request.body);
    const { portIn, replayed } = store.submitPortIn(body);
    response.status(replayed ? 200 : 202).json({ data: portIn });
  });

  router.get('/port-ins/:id', (request, response) => {
    response.json({ data: store.getPortIn(request.params.id) });
  });

  router.post('/port-ins/:id/cancel', (request, response) => {
    response.json({ data: store.cancelPortIn(request.params.id) });
  });

  return router;
}
