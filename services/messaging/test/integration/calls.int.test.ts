// Call detail records: the carrier simulator, as its own process, carries calls to and from a tenant's number
// and posts their records, signed, to messaging's CDR endpoint; they are read back over gRPC (ListCalls,
// GetCall) as the gateway reads them.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { status } from '@grpc/grpc-js';
import {
  CARRIER_CALLBACK_HEADERS,
  call,
  createLogger,
  identifierHashes,
  matchingHashes,
  recordTombstone,
  signCarrierCallback,
  withTenant,
} from '@parley/kit';
import { messagingV1 } from '@parley/proto';
import { as } from '../../../../tests/support/callers';
import { eventually, expectStatus } from '../../../../tests/support/grpc';
import { publishedEvents } from '../../../../tests/support/streams';
import type { PlaceCallRequest } from '../../../../tests/support/carrierSim';
import { CDR_PATH } from '../../src/carrier/cdrEndpoint';
import { messagingParticipant } from '../../src/privacy';
import { startMessaging, type MessagingUnderTest } from './messagingForTests';

let under: MessagingUnderTest;
let cdrUrl: string;
const tenant = `calls-${randomUUID().slice(0, 8)}`;
let number: string;
let sequence = 0;
/** A caller nobody else in this file uses. */
const nextCaller = () => `+44740012${String(1000 + ++sequence).padStart(4, '0')}`;

beforeAll(async () => {
  under = await startMessaging();
  cdrUrl = `${under.messaging.app.cdrEndpoint()!.url}${CDR_PATH}`;
  number = await under.buyNumber(tenant);
});
afterAll(async () => {
  await under?.stop();
});

const listCalls = async (tenantId: string, request: Partial<messagingV1.ListCallsRequest> = {}) =>
  call(
    under.client,
    under.client.listCalls,
    {
      pageSize: 0,
      pageToken: '',
      phoneNumber: '',
      direction: messagingV1.Direction.DIRECTION_UNSPECIFIED,
      disposition: '',
      ...request,
    },
    await as(tenantId, ['calls:read']),
  );
const getCall = async (tenantId: string, id: string) =>
  call(under.client, under.client.getCall, { id }, await as(tenantId, ['calls:read']));

/** The simulator's count of callbacks answered 2xx. */
const delivered = async () => (await under.carrier.counters()).callbacksDelivered ?? 0;

/** Places the call and waits until every copy of its record was answered 2xx by messaging. */
async function carry(request: Omit<PlaceCallRequest, 'callbackUrl'>) {
  const before = await delivered();
  const placed = await under.carrier.placeCall({ callbackUrl: cdrUrl, ...request });
  const copies = request.copies ?? 1;
  await eventually(`${copies} CDR deliveries answered`, async () => {
    if ((await delivered()) < before + copies) throw new Error('not yet');
  });
  return placed.cdr;
}

/** The tenant's calls with this caller (at most a page). */
const callsWith = async (phoneNumber: string) => (await listCalls(tenant, { phoneNumber })).calls;

/** Posts a body to the CDR endpoint, signed with `secret` (now). */
function post(body: string, secret: string) {
  const timestamp = Math.floor(Date.now() / 1000);
  return fetch(cdrUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      [CARRIER_CALLBACK_HEADERS.eventId]: randomUUID(),
      [CARRIER_CALLBACK_HEADERS.timestamp]: String(timestamp),
      [CARRIER_CALLBACK_HEADERS.signature]: signCarrierCallback(secret, timestamp, body),
    },
    body,
  });
}

const cdrBody = (data: Record<string, unknown>) =>
  JSON.stringify({ id: randomUUID(), type: 'call.completed', occurredAt: new Date().toISOString(), data });

const validCdr = (from: string) => ({
  callId: `CA${randomUUID().replaceAll('-', '')}`,
  direction: 'inbound',
  from,
  to: number,
  forwardedTo: null,
  callerIdPresented: from,
  externalCallerId: from,
  startedAt: new Date(Date.now() - 60_000).toISOString(),
  answeredAt: new Date(Date.now() - 55_000).toISOString(),
  endedAt: new Date().toISOString(),
  durationSeconds: 55,
  disposition: 'answered',
  clientIp: null,
  recording: null,
});

describe('POST /carrier/cdrs (the carrier simulator)', () => {
  describe('a forwarded call', () => {
    it('appears in ListCalls with its forwarding target and the caller ID presented, and is published', async () => {
      const caller = nextCaller();
      const cdr = await carry({
        direction: 'inbound',
        from: caller,
        to: number,
        forwardedTo: '+14155550199',
        callerId: number,
        externalCallerId: caller,
        durationSeconds: 95,
      });
      const [found, ...others] = await callsWith(caller);
      expect(others).toEqual([]);
      expect(found).toMatchObject({
        carrierCallId: cdr.callId,
        direction: messagingV1.Direction.DIRECTION_INBOUND,
        from: caller,
        to: number,
        forwardedTo: '+14155550199',
        callerIdPresented: number,
        externalCallerId: caller,
        durationSeconds: 95,
        disposition: 'answered',
        recordings: 0,
      });
      expect(found!.startedAt).toEqual(new Date(cdr.startedAt));
      expect(found!.answeredAt).toEqual(new Date(cdr.answeredAt!));
      // Found by its forwarding target too, and read alone with GetCall.
      expect((await listCalls(tenant, { phoneNumber: '+14155550199' })).calls.map((c) => c.id)).toContain(
        found!.id,
      );
      expect((await getCall(tenant, found!.id)).call).toEqual(found);
      const events = (await publishedEvents(under.messaging.app.runtime, 'messaging')).filter(
        (event) => event.aggregateKey === `call:${found!.id}`,
      );
      expect(events.map((event) => event.type)).toEqual(['messaging.call.recorded']);
      expect(messagingV1.CallRecorded.decode(events[0]!.payload)).toMatchObject({
        callId: found!.id,
        direction: 'inbound',
        disposition: 'answered',
        durationSeconds: 95,
        peerCountry: 'GB',
        forwardedCountry: 'US',
        from: caller,
        to: number,
      });
    });

    it('is not another tenant’s to see', async () => {
      const caller = nextCaller();
      await carry({ direction: 'inbound', from: caller, to: number, forwardedTo: '+14155550198' });
      expect(await callsWith(caller)).toHaveLength(1);
      expect((await listCalls('someone-else', { phoneNumber: caller })).calls).toEqual([]);
      const [found] = await callsWith(caller);
      await expectStatus(getCall('someone-else', found!.id), status.NOT_FOUND);
    });
  });

  describe('a resent record', () => {
    it('is stored once when the carrier delivers the same CDR three times', async () => {
      const caller = nextCaller();
      const cdr = await carry({ direction: 'inbound', from: caller, to: number, copies: 3 });
      const found = await callsWith(caller);
      expect(found.map((c) => c.carrierCallId)).toEqual([cdr.callId]);
    });
  });

  describe('a bad signature', () => {
    it('is refused with 401 and nothing is stored', async () => {
      const caller = nextCaller();
      const body = cdrBody(validCdr(caller));
      const wrongSecret = await post(body, 'not-the-carriers-secret-0000');
      expect(wrongSecret.status).toBe(401);
      expect(await wrongSecret.json()).toEqual({ error: expect.objectContaining({ code: 'bad_signature' }) });
      // Signed, then changed on the way.
      const tampered = await fetch(cdrUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [CARRIER_CALLBACK_HEADERS.timestamp]: String(Math.floor(Date.now() / 1000)),
          [CARRIER_CALLBACK_HEADERS.signature]: signCarrierCallback(
            under.carrier.callbackSecret,
            Math.floor(Date.now() / 1000),
            body.replace('"answered"', '"busy"'),
          ),
        },
        body,
      });
      expect(tampered.status).toBe(401);
      expect(await callsWith(caller)).toEqual([]);
      // The same body, signed right, is stored: the refusals were the signature's.
      expect((await post(body, under.carrier.callbackSecret)).status).toBe(200);
      expect(await callsWith(caller)).toHaveLength(1);
    });
  });

  describe('a body that is no CDR', () => {
    it('is refused with 400 naming the field', async () => {
      const response = await post(
        cdrBody({ ...validCdr(nextCaller()), disposition: 'hung_up' }),
        under.carrier.callbackSecret,
      );
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: { message: string } }).error.message).toContain(
        'data.disposition',
      );
    });
  });

  describe('a record about an erased person', () => {
    it('is not stored', async () => {
      const caller = nextCaller();
      const deps = under.messaging.app.deps;
      await withTenant(deps.db, tenant, (tx) =>
        recordTombstone(
          tx,
          tenant,
          identifierHashes(deps.subjectHashKeys, tenant, {
            accountIds: [],
            emails: [],
            phones: [caller],
            userIds: [],
          }),
        ),
      );
      const response = await post(cdrBody(validCdr(caller)), under.carrier.callbackSecret);
      expect(await response.json()).toEqual({ outcome: 'erased' });
      expect(await callsWith(caller)).toEqual([]);
    });
  });

  describe('recordings', () => {
    const recording = { kind: 'voicemail' as const, durationSeconds: 42, channels: 1 as const };

    it('are not stored while the tenant does not allow them (the default)', async () => {
      const caller = nextCaller();
      await carry({
        direction: 'inbound',
        from: caller,
        to: number,
        disposition: 'no_answer',
        recording: { ...recording, consent: true },
      });
      const [found] = await callsWith(caller);
      expect(found).toMatchObject({ disposition: 'no_answer', durationSeconds: 0, recordings: 0 });
      expect((await getCall(tenant, found!.id)).recordings).toEqual([]);
    });

    it('are stored when allowed, and only with the carrier’s consent flag when consent is required', async () => {
      const allowing = `rec-${randomUUID().slice(0, 8)}`;
      const own = await under.buyNumber(allowing);
      await under.updateSettings(allowing, { recordingsAllowed: true }, ['recordings_allowed']);
      const withoutConsent = nextCaller();
      const withConsent = nextCaller();
      await carry({
        direction: 'inbound',
        from: withoutConsent,
        to: own,
        recording: { ...recording, consent: false },
      });
      const cdr = await carry({
        direction: 'inbound',
        from: withConsent,
        to: own,
        recording: { ...recording, consent: true },
      });
      const [refused] = (await listCalls(allowing, { phoneNumber: withoutConsent })).calls;
      expect(refused).toMatchObject({ recordings: 0 });
      const [kept] = (await listCalls(allowing, { phoneNumber: withConsent })).calls;
      expect((await getCall(allowing, kept!.id)).recordings).toEqual([
        expect.objectContaining({
          carrierRecordingId: cdr.recording!.id,
          kind: 'voicemail',
          url: cdr.recording!.url,
          durationSeconds: 42,
          channels: 1,
          consent: true,
        }),
      ]);
    });
  });
});

describe('erasure of call records', () => {
  it("deletes the person's calls and recording references, and has the carrier delete the media", async () => {
    const allowing = `erase-${randomUUID().slice(0, 8)}`;
    const own = await under.buyNumber(allowing);
    await under.updateSettings(allowing, { recordingsAllowed: true }, ['recordings_allowed']);
    const caller = nextCaller();
    const cdr = await carry({
      direction: 'inbound',
      from: caller,
      to: own,
      disposition: 'no_answer',
      recording: { kind: 'voicemail', durationSeconds: 20, consent: true },
    });
    const media = () =>
      fetch(cdr.recording!.url, { headers: { authorization: `Bearer ${under.carrier.apiKey}` } });
    expect((await media()).status).toBe(200);
    const deps = under.messaging.app.deps;
    const subject = { accountIds: [], emails: [], phones: [caller], userIds: [] };
    const receipt = await withTenant(deps.db, allowing, (tx) =>
      messagingParticipant(deps).erase(tx, subject, {
        tenantId: allowing,
        hashes: matchingHashes(deps.subjectHashKeys, allowing, subject),
        currentHashes: identifierHashes(deps.subjectHashKeys, allowing, subject),
        log: createLogger({ service: 'test', version: 'test', level: 'silent' }),
      }),
    );
    expect(
      receipt
        .filter((line) => line.category.startsWith('call_'))
        .map((line) => [line.category, line.deleted]),
    ).toEqual([
      ['call_records', '1'],
      ['call_recordings', '1'],
    ]);
    expect((await listCalls(allowing, { phoneNumber: caller })).calls).toEqual([]);
    await eventually('the carrier to delete the voicemail', async () => {
      if ((await media()).status !== 404) throw new Error('still there');
    });
    expect((await under.carrier.counters()).recordingsDeleted).toBeGreaterThanOrEqual(1);
  });
});

describe('MessagingService/ListCalls', () => {
  describe('INVALID_ARGUMENT', () => {
    it('names a disposition that does not exist and a number that is no E.164', async () => {
      await expectStatus(listCalls(tenant, { disposition: 'hung_up' }), status.INVALID_ARGUMENT);
      await expectStatus(listCalls(tenant, { phoneNumber: '0123' }), status.INVALID_ARGUMENT);
    });
  });

  it('filters by direction and disposition and pages with a cursor', async () => {
    const caller = nextCaller();
    for (const disposition of ['busy', 'failed', 'busy'] as const)
      await carry({ direction: 'outbound', from: number, to: caller, disposition, clientIp: '203.0.113.7' });
    const busy = await listCalls(tenant, { phoneNumber: caller, disposition: 'busy' });
    expect(busy.calls.map((c) => [c.disposition, c.clientIp])).toEqual([
      ['busy', '203.0.113.7'],
      ['busy', '203.0.113.7'],
    ]);
    expect(
      (await listCalls(tenant, { phoneNumber: caller, direction: messagingV1.Direction.DIRECTION_INBOUND }))
        .calls,
    ).toEqual([]);
    const first = await listCalls(tenant, { phoneNumber: caller, pageSize: 2 });
    expect(first.calls).toHaveLength(2);
    const second = await listCalls(tenant, {
      phoneNumber: caller,
      pageSize: 2,
      pageToken: first.nextPageToken,
    });
    expect(second.calls).toHaveLength(1);
    expect(second.nextPageToken).toBe('');
    expect(new Set([...first.calls, ...second.calls].map((c) => c.id)).size).toBe(3);
  });
});
