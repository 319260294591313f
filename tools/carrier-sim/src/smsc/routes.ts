import { Router } from 'express';
import { z } from 'zod';
import { e164, parse } from '../numbers/routes';
import type { Smsc } from './smsc';

const inboundBody = z.object({
  from: e164,
  to: e164,
  text: z.string().min(1, 'must not be empty').max(1600, 'must be at most 1600 characters'),
});

const messagesQuery = z.object({
  to: e164.optional(),
  from: z.string().min(1).max(32).optional(),
  limit: z.coerce
    .number()
    .int()
    .min(1, 'must be from 1 to 100000')
    .max(100_000, 'must be from 1 to 100000')
    .default(1_000),
});

/**
 * The SMSC's HTTP side for tests, benchmarks and operators: inject a mobile-originated message, read the
 * counters and the messages it accepted.
 */
export function smscRouter(smsc: Smsc): Router {
  const router = Router();

  router.post('/inbound', (request, response) => {
    const message = parse(inboundBody, request.body);
    response.status(202).json({ data: smsc.inbound(message) });
  });

  router.get('/counters', (_request, response) => {
    response.json({ data: smsc.snapshot() });
  });

  router.get('/messages', (request, response) => {
    const query = parse(messagesQuery, request.query);
    response.json({ data: smsc.messages.list(query) });
  });

  return router;
}
