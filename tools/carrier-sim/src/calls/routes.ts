import { Router } from 'express';
import { z } from 'zod';
import type { CallbackSender } from '../callbacks';
import type { Counters } from '../counters';
import { notFound } from '../errors';
import { parse } from '../numbers/routes';
import { placeCall, placeCallBody, type CallDetailRecord } from './calls';

type Recording = NonNullable<CallDetailRecord['recording']> & { callId: string };

/**
 * Calls the carrier carries. The control side (`POST /control/calls`) makes the simulator carry one and
 * post its call detail record as a signed callback (`call.completed`), `copies` times when asked; the API
 * side serves the recordings it holds (`GET /v1/recordings/{id}`) and deletes them on request
 * (`DELETE /v1/recordings/{id}`, what an erasure asks of the carrier).
 */
export function callRoutes(options: {
  callbacks: CallbackSender;
  counters: Counters;
  baseUrl: () => string;
}) {
  const { callbacks, counters } = options;
  const recordings = new Map<string, Recording>();

  const control = Router();
  control.post('/calls', (request, response) => {
    const body = parse(placeCallBody, request.body);
    const cdr = placeCall(body, options.baseUrl());
    if (cdr.recording) recordings.set(cdr.recording.id, { ...cdr.recording, callId: cdr.callId });
    const eventId = callbacks.send(body.callbackUrl, { type: 'call.completed', data: cdr }, body.copies);
    counters.add('callsPlaced');
    counters.add('cdrsSent', body.copies);
    response.status(202).json({ data: { eventId, cdr } });
  });

  const api = Router();
  const recordingId = (params: unknown) => parse(z.object({ id: z.string().min(1).max(64) }), params).id;
  api.get('/recordings/:id', (request, response) => {
    const found = recordings.get(recordingId(request.params));
    if (!found) throw notFound('recording');
    response.json({ data: found });
  });
  api.delete('/recordings/:id', (request, response) => {
    const id = recordingId(request.params);
    if (!recordings.delete(id)) throw notFound('recording');
    counters.add('recordingsDeleted');
    response.status(204).end();
  });
  return { control, api };
}
