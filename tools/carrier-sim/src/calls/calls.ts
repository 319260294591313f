import { randomBytes, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { e164 } from '../numbers/routes';

export const DISPOSITIONS = ['answered', 'busy', 'no_answer', 'failed'] as const;

/** What a test or operator asks the simulator to carry (POST /control/calls). */
export const placeCallBody = z.object({
  /** Where the call detail record is posted (the receiver's CDR endpoint). */
  callbackUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
  direction: z.enum(['inbound', 'outbound'], { error: 'must be inbound or outbound' }),
  from: e164,
  to: e164,
  /** Inbound: the number's forwarding target the call was passed on to. */
  forwardedTo: e164.optional(),
  /** The caller ID shown to whoever was rung (the forwarding target, the callee); default `from`. */
  callerId: z.string().min(1).max(32).optional(),
  /** Inbound: the caller ID the outside network delivered (default `from`; `anonymous` when withheld). */
  externalCallerId: z.string().min(1).max(32).optional(),
  disposition: z
    .enum(DISPOSITIONS, { error: 'must be answered, busy, no_answer or failed' })
    .default('answered'),
  /** Talk time of an answered call (0 for the others). */
  durationSeconds: z.number().int().min(0).max(86_400).default(30),
  /** Outbound from Parley's app: the address of the client that placed it. */
  clientIp: z.union([z.ipv4(), z.ipv6()], { error: 'must be an IP address' }).optional(),
  /** A recording or voicemail the carrier holds for the call. */
  recording: z
    .object({
      kind: z
        .enum(['recording', 'voicemail'], { error: 'must be recording or voicemail' })
        .default('recording'),
      durationSeconds: z.number().int().min(1).max(86_400),
      channels: z.union([z.literal(1), z.literal(2)], { error: 'must be 1 or 2' }).default(1),
      /** Whether the carrier played a consent notice and recorded the parties' consent. */
      consent: z.boolean().default(false),
    })
    .optional(),
  /** How many times the same CDR is delivered (carriers resend; receivers must store it once). */
  copies: z.number().int().min(1).max(5).default(1),
});

export type PlaceCall = z.output<typeof placeCallBody>;

/** The call detail record the simulator posts (callback type `call.completed`, its `data`). */
export interface CallDetailRecord {
  /** The carrier's call id: `CA` + 32 hex, unique per call and the same on every resend. */
  callId: string;
  direction: 'inbound' | 'outbound';
  from: string;
  to: string;
  forwardedTo: string | null;
  callerIdPresented: string | null;
  externalCallerId: string | null;
  startedAt: string;
  answeredAt: string | null;
  endedAt: string;
  durationSeconds: number;
  disposition: (typeof DISPOSITIONS)[number];
  clientIp: string | null;
  recording: {
    id: string;
    kind: 'recording' | 'voicemail';
    url: string;
    durationSeconds: number;
    channels: 1 | 2;
    consent: boolean;
  } | null;
}

export interface PlacedCall {
  cdr: CallDetailRecord;
  /** The callback's event id (the same on every copy). */
  eventId: string;
}

/**
 * Builds the record of a call that just ended. The call is dated as if it started `ringSeconds` plus its
 * talk time ago, so its end is now.
 */
export function placeCall(request: PlaceCall, mediaBaseUrl: string, now = new Date()): CallDetailRecord {
  const answered = request.disposition === 'answered';
  const talk = answered ? request.durationSeconds : 0;
  const ringSeconds = request.disposition === 'failed' ? 0 : 5;
  const endedAt = now;
  const answeredAt = answered ? new Date(now.getTime() - talk * 1000) : null;
  const startedAt = new Date(now.getTime() - (talk + ringSeconds) * 1000);
  const recordingId = `RE${randomUUID().replaceAll('-', '')}`;
  return {
    callId: `CA${randomBytes(16).toString('hex')}`,
    direction: request.direction,
    from: request.from,
    to: request.to,
    forwardedTo: request.forwardedTo ?? null,
    callerIdPresented: request.callerId ?? request.from,
    externalCallerId: request.direction === 'inbound' ? (request.externalCallerId ?? request.from) : null,
    startedAt: startedAt.toISOString(),
    answeredAt: answeredAt?.toISOString() ?? null,
    endedAt: endedAt.toISOString(),
    durationSeconds: talk,
    disposition: request.disposition,
    clientIp: request.clientIp ?? null,
    recording: request.recording
      ? {
          id: recordingId,
          kind: request.recording.kind,
          url: `${mediaBaseUrl}/v1/recordings/${recordingId}`,
          durationSeconds: request.recording.durationSeconds,
          channels: request.recording.channels,
          consent: request.recording.consent,
        }
      : null,
  };
}
