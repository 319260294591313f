import type { Caller } from '@parley/kit';
import { messagingV1 } from '@parley/proto';
import type { Backends } from '../../backends';
import { route } from '../route';
import { z } from '../zod';
import { idParams, iso, nextPage, pageQuery, timestamp } from '../schemas';

const e164 = z
  .string()
  .max(16)
  .regex(/^\+[1-9][0-9]{6,14}$/, 'an E.164 number, e.g. +14155550123');
const dispositions = ['answered', 'busy', 'no_answer', 'failed'] as const;

const callSchema = z
  .object({
    id: z.uuid(),
    carrierCallId: z.string().openapi({ description: "The carrier's id of the call" }),
    direction: z.enum(['inbound', 'outbound']).openapi({
      description: "inbound: to one of the tenant's numbers; outbound: from one",
    }),
    from: e164.openapi({ example: '+447911123456' }),
    to: e164.openapi({ example: '+14155550123' }),
    forwardedTo: z.string().openapi({
      description: "Inbound: the number's forwarding target the call was passed on to; empty for none",
    }),
    callerIdPresented: z.string().openapi({
      description:
        'The caller ID shown to whoever was rung (the forwarding target, the callee); empty when unknown',
    }),
    externalCallerId: z.string().openapi({
      description:
        'Inbound: the caller ID the outside network delivered (`anonymous` when withheld); empty when unknown',
    }),
    startedAt: timestamp,
    answeredAt: timestamp.nullable().openapi({ description: 'When it was answered; null when it was not' }),
    endedAt: timestamp,
    durationSeconds: z.number().int().openapi({ description: 'Talk time in seconds (0 unless answered)' }),
    disposition: z.enum(dispositions),
    clientIp: z
      .string()
      .openapi({ description: "App-originated calls: the client's IP address; empty otherwise" }),
    accountId: z
      .string()
      .nullable()
      .openapi({ description: "The account of the tenant's number; null for none" }),
    recordings: z.number().int().openapi({ description: 'How many recording references are kept for it' }),
  })
  .openapi('Call');

const recordingSchema = z
  .object({
    id: z.uuid(),
    carrierRecordingId: z.string(),
    kind: z.enum(['recording', 'voicemail']),
    url: z
      .string()
      .openapi({ description: 'Where the carrier serves the media (Parley keeps only this reference)' }),
    durationSeconds: z.number().int(),
    channels: z.number().int().openapi({ description: '1 (mono) or 2 (one per party)' }),
    consent: z.boolean().openapi({ description: "Whether the carrier recorded the parties' consent" }),
    createdAt: timestamp,
  })
  .openapi('CallRecording');

type CallJson = z.infer<typeof callSchema>;
type RecordingJson = z.infer<typeof recordingSchema>;

function callJson(call: messagingV1.CallRecord | undefined): CallJson {
  if (!call) throw new Error('service answered without a call');
  return {
    id: call.id,
    carrierCallId: call.carrierCallId,
    direction: call.direction === messagingV1.Direction.DIRECTION_OUTBOUND ? 'outbound' : 'inbound',
    from: call.from,
    to: call.to,
    forwardedTo: call.forwardedTo,
    callerIdPresented: call.callerIdPresented,
    externalCallerId: call.externalCallerId,
    startedAt: iso(call.startedAt) ?? '',
    answeredAt: iso(call.answeredAt) ?? null,
    endedAt: iso(call.endedAt) ?? '',
    durationSeconds: call.durationSeconds,
    disposition: call.disposition as CallJson['disposition'],
    clientIp: call.clientIp,
    accountId: call.accountId || null,
    recordings: call.recordings,
  };
}

const recordingJson = (recording: messagingV1.CallRecording): RecordingJson => ({
  id: recording.id,
  carrierRecordingId: recording.carrierRecordingId,
  kind: recording.kind as RecordingJson['kind'],
  url: recording.url,
  durationSeconds: recording.durationSeconds,
  channels: recording.channels,
  consent: recording.consent,
  createdAt: iso(recording.createdAt) ?? '',
});

const exampleCall: CallJson = {
  id: '019a7c3e-8f20-7b41-9c2d-5e6f7a8b9c0d',
  carrierCallId: 'CA5f0c3e1d9b2a4c6e8f0a1b2c3d4e5f60',
  direction: 'inbound',
  from: '+447911123456',
  to: '+14155550123',
  forwardedTo: '+14155550199',
  callerIdPresented: '+447911123456',
  externalCallerId: '+447911123456',
  startedAt: '2026-12-01T12:30:00.000Z',
  answeredAt: '2026-12-01T12:30:05.000Z',
  endedAt: '2026-12-01T12:32:05.000Z',
  durationSeconds: 120,
  disposition: 'answered',
  clientIp: '',
  accountId: '',
  recordings: 1,
};

const exampleRecording: RecordingJson = {
  id: '019a7c3f-0a11-7c22-8d33-4e5f6a7b8c9d',
  carrierRecordingId: 'RE0c3e1d9b2a4c6e8f0a1b2c3d4e5f6071',
  kind: 'voicemail',
  url: 'https://carrier.example/v1/recordings/RE0c3e1d9b2a4c6e8f0a1b2c3d4e5f6071',
  durationSeconds: 42,
  channels: 1,
  consent: true,
  createdAt: '2026-12-01T12:32:06.000Z',
};

/** Call detail records: what the carrier reported of the calls the tenant's numbers carried (read only). */
export function callRoutes(backends: Backends) {
  const { messaging } = backends;
  const getCall = (caller: Caller, id: string) => backends.as(caller, messaging, messaging.getCall, { id });
  return [
    route({
      method: 'get',
      path: '/v1/calls',
      operationId: 'listCalls',
      problems: ['MESSAGING_INVALID_REQUEST', 'PAGE_TOKEN_INVALID', 'PAGE_SIZE_INVALID'],
      summary: "The tenant's call records, newest first",
      description:
        "Every call the tenant's numbers carried, as the carrier reported it: time, duration, from, to, where it was forwarded, the caller IDs, the disposition. Kept as long as message metadata (12 months unless the tenant's messaging settings say otherwise).",
      tags: ['Calls'],
      scope: 'calls:read',
      query: pageQuery.extend({
        phoneNumber: e164
          .optional()
          .openapi({ description: 'Only calls from, to or forwarded to this number' }),
        direction: z.enum(['inbound', 'outbound']).optional(),
        disposition: z.enum(dispositions).optional(),
        startedAfter: timestamp.optional().openapi({ description: 'Only calls started at or after this' }),
        startedBefore: timestamp.optional().openapi({ description: 'Only calls started before this' }),
      }),
      response: {
        status: 200,
        description: 'A page of call records',
        schema: z.object({ calls: z.array(callSchema), nextPageToken: nextPage }).openapi('CallPage'),
      },
      examples: { response: { calls: [exampleCall], nextPageToken: '' } },
      handler: async ({ caller, query }) => {
        const page = await backends.as(caller, messaging, messaging.listCalls, {
          pageSize: query.pageSize ?? 0,
          pageToken: query.pageToken ?? '',
          phoneNumber: query.phoneNumber ?? '',
          direction:
            query.direction === 'outbound'
              ? messagingV1.Direction.DIRECTION_OUTBOUND
              : query.direction === 'inbound'
                ? messagingV1.Direction.DIRECTION_INBOUND
                : messagingV1.Direction.DIRECTION_UNSPECIFIED,
          disposition: query.disposition ?? '',
          ...(query.startedAfter ? { startedAfter: new Date(query.startedAfter) } : {}),
          ...(query.startedBefore ? { startedBefore: new Date(query.startedBefore) } : {}),
        });
        return { calls: page.calls.map(callJson), nextPageToken: page.nextPageToken };
      },
    }),
    route({
      method: 'get',
      path: '/v1/calls/{id}',
      operationId: 'getCall',
      problems: ['CALL_NOT_FOUND'],
      summary: 'One call record of the tenant',
      tags: ['Calls'],
      scope: 'calls:read',
      params: idParams,
      response: { status: 200, description: 'The call record', schema: callSchema },
      examples: { response: exampleCall },
      handler: async ({ caller, params }) => callJson((await getCall(caller, params.id)).call),
    }),
    route({
      method: 'get',
      path: '/v1/calls/{id}/recordings',
      operationId: 'listCallRecordings',
      problems: ['CALL_NOT_FOUND'],
      summary: "A call's recording and voicemail references",
      description:
        "References to media the carrier holds (never the media). Kept only when the tenant's messaging settings allow recordings (`recordingsAllowed`), and, when they require consent (`recordingConsentRequired`, the default), only those the carrier flagged as consented.",
      tags: ['Calls'],
      scope: 'calls:read',
      params: idParams,
      response: {
        status: 200,
        description: 'The references, oldest first (empty when none was kept)',
        schema: z.object({ recordings: z.array(recordingSchema) }).openapi('CallRecordingList'),
      },
      examples: { response: { recordings: [exampleRecording] } },
      handler: async ({ caller, params }) => ({
        recordings: (await getCall(caller, params.id)).recordings.map(recordingJson),
      }),
    }),
  ];
}
