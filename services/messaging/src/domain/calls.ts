// Call detail records as the carrier posts them, and the rules for keeping them. Pure.
import { z } from '@parley/kit';
import type { CallDisposition, CallIdentifierField } from '../db/schema';
import type { MessagingSettings } from './settings';

export const CALL_DISPOSITIONS: readonly CallDisposition[] = ['answered', 'busy', 'no_answer', 'failed'];

const e164 = z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number');
/** A caller ID as networks deliver it: a number, or a word such as `anonymous` when withheld. */
const callerId = z
  .string()
  .regex(/^[+\w .()-]{1,32}$/, 'must be a caller ID of 1 to 32 characters')
  .nullable()
  .default(null);
const instant = z.iso
  .datetime({ offset: true, error: 'must be an ISO 8601 time' })
  .transform((value) => new Date(value));

/** The record of one call (the callback's `data`; tools/carrier-sim/README.md, "Calls"). */
export const callDetailRecordSchema = z
  .object({
    callId: z
      .string()
      .regex(/^[A-Za-z0-9_-]{8,64}$/, 'must be the carrier call id (8 to 64 letters, digits, _ or -)'),
    direction: z.enum(['inbound', 'outbound'], { error: 'must be inbound or outbound' }),
    from: e164,
    to: e164,
    forwardedTo: e164.nullable().default(null),
    callerIdPresented: callerId,
    externalCallerId: callerId,
    startedAt: instant,
    answeredAt: instant.nullable().default(null),
    endedAt: instant,
    durationSeconds: z.number().int().min(0).max(86_400),
    disposition: z.enum(['answered', 'busy', 'no_answer', 'failed'], {
      error: 'must be answered, busy, no_answer or failed',
    }),
    clientIp: z.union([z.ipv4(), z.ipv6()], { error: 'must be an IP address' }).nullable().default(null),
    recording: z
      .object({
        id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be the carrier recording id'),
        kind: z.enum(['recording', 'voicemail'], { error: 'must be recording or voicemail' }),
        url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(2048),
        durationSeconds: z.number().int().min(0).max(86_400),
        channels: z.union([z.literal(1), z.literal(2)], { error: 'must be 1 or 2' }),
        consent: z.boolean({ error: 'must be true or false' }),
      })
      .nullable()
      .default(null),
  })
  .refine((cdr) => cdr.endedAt >= cdr.startedAt, {
    path: ['endedAt'],
    message: 'must not be before startedAt',
  });

export type CallDetailRecord = z.output<typeof callDetailRecordSchema>;

/** A signed carrier callback: `{ id, type, occurredAt, data }`; `call.completed` carries a CDR. */
export const carrierCallbackSchema = z.object({
  id: z.string().min(1).max(128),
  type: z.string().min(1).max(64),
  occurredAt: z.string().optional(),
  data: z.unknown(),
});

/** The tenant's number on a call: the callee of an inbound call, the caller of an outbound one. */
export const tenantNumberOf = (cdr: Pick<CallDetailRecord, 'direction' | 'from' | 'to'>) =>
  cdr.direction === 'inbound' ? cdr.to : cdr.from;

/** The other party on a call: the person whose data the record is (with the forwarding target). */
export const peerOf = (cdr: Pick<CallDetailRecord, 'direction' | 'from' | 'to'>) =>
  cdr.direction === 'inbound' ? cdr.from : cdr.to;

export type RecordingRefusal = 'recordings_not_allowed' | 'consent_missing';

/**
 * Whether a recording reference may be kept under the tenant's policy: only when it allows recordings, and
 * when it requires consent, only with the carrier's consent flag. Undefined: keep it.
 */
export function recordingRefusal(
  settings: Pick<MessagingSettings, 'recordingsAllowed' | 'recordingConsentRequired'>,
  recording: { consent: boolean },
): RecordingRefusal | undefined {
  if (!settings.recordingsAllowed) return 'recordings_not_allowed';
  if (settings.recordingConsentRequired && !recording.consent) return 'consent_missing';
  return undefined;
}

/** The identifiers a call record holds and whose kind a keyed hash is made of. */
const PHONE_FIELDS = ['from', 'to', 'forwardedTo', 'callerIdPresented', 'externalCallerId'] as const;

/** A call record's identifier fields, as both `calls` and `kept_calls` hold them. */
export type CallIdentifiers = Pick<CallDetailRecord, 'direction' | 'from' | 'to'> & {
  forwardedTo: string | null;
  callerIdPresented: string | null;
  externalCallerId: string | null;
  accountId: string | null;
  clientIp: string | null;
};

/** The kinds of identifier a keyed hash is made of (services/kit `valueHashes`). */
export type IdentifierKind = 'phone' | 'account' | 'ip';

/**
 * What anonymising a call record for an erased subject changes (a record a traffic-data law obliges the
 * tenant to keep): every field holding one of the subject's phones, their account id, and the client IP of a
 * call their account placed from the app, each replaced by `hash(kind, value)`. The tenant's own number
 * stays, as do the times, duration and disposition, and another person's identifiers (theirs to erase).
 * Answers the new values and the fields changed (none when nothing in the record is the subject's).
 */
export function anonymisedCall(
  call: CallIdentifiers,
  subject: { phones: readonly string[]; accountIds: readonly string[] },
  hash: (kind: IdentifierKind, value: string) => string,
): { changes: Partial<Record<CallIdentifierField, string>>; fields: CallIdentifierField[] } {
  const phones = new Set(subject.phones.map((phone) => phone.trim()));
  const accounts = new Set(subject.accountIds.map((account) => account.trim()));
  const tenantNumber = tenantNumberOf(call);
  const changes: Partial<Record<CallIdentifierField, string>> = {};
  for (const field of PHONE_FIELDS) {
    const value = call[field];
    if (value !== null && value !== tenantNumber && phones.has(value)) changes[field] = hash('phone', value);
  }
  if (call.accountId !== null && accounts.has(call.accountId)) {
    changes.accountId = hash('account', call.accountId);
    // An app-originated call's client is the account holder's device.
    if (call.clientIp !== null) changes.clientIp = hash('ip', call.clientIp);
  }
  return { changes, fields: Object.keys(changes) as CallIdentifierField[] };
}
