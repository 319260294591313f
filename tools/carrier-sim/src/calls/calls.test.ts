import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { loadSimConfig } from '../config';
import { startCarrierSim, type CarrierSim } from '../server';
import { EVENT_ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyCallback } from '../signing';
import { placeCall, placeCallBody } from './calls';

const apiKey = 'calls-test-key-0123456789';
const secret = 'calls-test-secret-0123456789';

describe('placeCall', () => {
  const now = new Date('2026-12-01T12:00:00.000Z');
  const base = { callbackUrl: 'http://127.0.0.1:9/cdrs', from: '+447700900001', to: '+14155550100' };

  it('dates an answered call so it ends now, after five seconds of ringing and its talk time', () => {
    const cdr = placeCall(
      placeCallBody.parse({ ...base, direction: 'inbound', durationSeconds: 60 }),
      'http://sim',
      now,
    );
    expect(cdr).toMatchObject({
      direction: 'inbound',
      startedAt: '2026-12-01T11:58:55.000Z',
      answeredAt: '2026-12-01T11:59:00.000Z',
      endedAt: '2026-12-01T12:00:00.000Z',
      durationSeconds: 60,
      disposition: 'answered',
      callerIdPresented: base.from,
      externalCallerId: base.from,
      forwardedTo: null,
      recording: null,
    });
    expect(cdr.callId).toMatch(/^CA[0-9a-f]{32}$/);
  });

  it('gives a call nobody answered no talk time, and an outbound call no external caller ID', () => {
    const cdr = placeCall(
      placeCallBody.parse({ ...base, direction: 'outbound', disposition: 'busy', clientIp: '203.0.113.9' }),
      'http://sim',
      now,
    );
    expect(cdr).toMatchObject({
      answeredAt: null,
      durationSeconds: 0,
      externalCallerId: null,
      clientIp: '203.0.113.9',
    });
  });

  it('refuses a disposition it does not know and more than five copies', () => {
    expect(placeCallBody.safeParse({ ...base, direction: 'inbound', disposition: 'hung_up' }).success).toBe(
      false,
    );
    expect(placeCallBody.safeParse({ ...base, direction: 'inbound', copies: 6 }).success).toBe(false);
  });
});

describe('POST /control/calls', () => {
  let sim: CarrierSim;
  let receiver: Server;
  let receiverUrl: string;
  const received: { headers: Record<string, string | string[] | undefined>; body: string }[] = [];

  beforeAll(async () => {
    receiver = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        received.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
        response.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const address = receiver.address();
    receiverUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/cdrs`;
    sim = await startCarrierSim(
      loadSimConfig({
        CARRIER_SIM_PORT: '0',
        CARRIER_SIM_API_KEY: apiKey,
        CARRIER_SIM_CALLBACK_SECRET: secret,
        CARRIER_SIM_SMPP_PORT: '0',
        CARRIER_SIM_SMPP_PASSWORD: 'secret12',
      }),
    );
  });

  afterAll(async () => {
    await sim?.stop();
    await new Promise<void>((resolve) => receiver?.close(() => resolve()));
  });

  const control = (body: unknown) =>
    fetch(`${sim.url}/control/calls`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('posts the signed CDR as many times as asked, the same event each time, and serves its recording', async () => {
    const answer = await control({
      callbackUrl: receiverUrl,
      direction: 'inbound',
      from: '+447700900002',
      to: '+14155550101',
      forwardedTo: '+14155550199',
      recording: { kind: 'voicemail', durationSeconds: 12, consent: true },
      copies: 2,
    });
    expect(answer.status).toBe(202);
    const { data } = (await answer.json()) as {
      data: { eventId: string; cdr: { callId: string; recording: { id: string } } };
    };
    while (received.length < 2) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(received.map((copy) => copy.headers[EVENT_ID_HEADER])).toEqual([data.eventId, data.eventId]);
    expect(received[0]!.body).toBe(received[1]!.body);
    for (const copy of received)
      expect(
        verifyCallback({
          secret,
          body: copy.body,
          timestamp: copy.headers[TIMESTAMP_HEADER] as string,
          signature: copy.headers[SIGNATURE_HEADER] as string,
        }),
      ).toBe(true);
    const callback = JSON.parse(received[0]!.body) as {
      type: string;
      data: { callId: string; forwardedTo: string };
    };
    expect(callback).toMatchObject({
      type: 'call.completed',
      data: { callId: data.cdr.callId, forwardedTo: '+14155550199' },
    });
    const media = await fetch(`${sim.url}/v1/recordings/${data.cdr.recording.id}`, {
      headers: { authorization: `Bearer ${apiKey}` },
    });
    expect(media.status).toBe(200);
    const deleted = await fetch(`${sim.url}/v1/recordings/${data.cdr.recording.id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${apiKey}` },
    });
    expect(deleted.status).toBe(204);
    expect(sim.counters.snapshot()).toMatchObject({ callsPlaced: 1, cdrsSent: 2, recordingsDeleted: 1 });
  });

  it('names a bad field with 400', async () => {
    const answer = await control({
      callbackUrl: receiverUrl,
      direction: 'sideways',
      from: '+447700900002',
      to: '+14155550101',
    });
    expect(answer.status).toBe(400);
    expect(((await answer.json()) as { error: { field: string } }).error.field).toBe('direction');
  });
});
