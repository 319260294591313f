import type { Backends } from '../../backends';
import { route } from '../route';
import type { ProblemCode } from '../problemCodes';
import { z } from '../zod';
import { idParams, iso, linkTokenParams, nextPage, pageQuery, profile, timestamp } from '../schemas';
import type { privacyV1 } from '@parley/proto';
import { consentPurposes, privacyRequestTypes } from '@parley/kit';

const requestTypes = privacyRequestTypes;
const purposes = consentPurposes;

const subjectSchema = z
  .object({
    accountId: z.string().max(100).optional().openapi({ example: '3f2c8a4e-5b7d-4e1a-9c6f-0d8b2a7e4f13' }),
    email: z.string().max(254).optional().openapi({ example: 'ada@example.com' }),
    phone: z
      .string()
      .max(32)
      .optional()
      .openapi({ description: 'E.164, e.g. +447911123456', example: '+447911123456' }),
  })
  .strict()
  .openapi('SubjectRef', {
    description: 'Exactly one identifier of the data subject',
    example: { email: 'ada@example.com' },
  });

const receiptLine = z.object({
  category: z.string(),
  exported: z.number(),
  deleted: z.number(),
  anonymised: z.number(),
  corrected: z.number(),
  kept: z.number(),
  restricted: z.number(),
  keptBasis: z.string().optional(),
  stopped: z
    .array(z.enum(purposes))
    .optional()
    .openapi({
      description:
        'Objection, consent withdrawal, opt-out of sale/share: the purposes this category is no longer used for',
      example: ['marketing_email', 'sale_share'],
    }),
});

const taskSchema = z.object({
  participant: z.string(),
  state: z.enum(['pending', 'done', 'failed']).openapi({
    description:
      'pending: no answer yet; done: carried out, the receipt says what was done; failed: the participant cannot carry it out (see failureReason), and the request ends partially_completed',
  }),
  requestedAt: timestamp,
  completedAt: timestamp.nullable(),
  receipt: z.array(receiptLine),
  failureCode: z
    .string()
    .nullable()
    .openapi({ description: "Failed: the participant's stable error code", example: 'ACCOUNT_INVALID' }),
  failureReason: z.string().nullable().openapi({
    description: 'Failed: why the participant cannot carry out the task; names fields, never their values',
    example: 'email: a valid email address',
  }),
});

const requestSchema = z
  .object({
    id: z.uuid(),
    type: z.enum(requestTypes),
    state: z.enum([
      'received',
      'verifying',
      'verified',
      'in_progress',
      'completed',
      'partially_completed',
      'denied',
      'cancelled',
    ]),
    jurisdiction: z.string(),
    subject: z.record(z.string(), z.unknown()),
    receivedAt: timestamp,
    dueAt: timestamp,
    urgency: z.enum(['on_track', 'due_soon', 'overdue']),
    extended: z.boolean(),
    extensionReason: z.string().nullable(),
    paused: z.boolean(),
    acknowledgeBy: timestamp.nullable().openapi({ description: 'CCPA: confirm receipt by then' }),
    verifiedBy: z
      .string()
      .nullable()
      .openapi({ description: 'officer, session or code; null while unverified' }),
    reason: z.string().nullable().openapi({
      description:
        'Why it is denied, cancelled or partially completed: each participant that could not carry out its task and why, and what was kept under a law or a legal hold',
    }),
    tasks: z.array(taskSchema),
    waitingFor: z.array(z.string()).openapi({ description: 'Participants that have not answered yet' }),
    completedAt: timestamp.nullable(),
    archiveReady: z.boolean(),
  })
  .openapi('PrivacyRequest');

const counts = (line: privacyV1.ParticipantTask['receipt'][number]) => ({
  category: line.category,
  exported: Number(line.exported),
  deleted: Number(line.deleted),
  anonymised: Number(line.anonymised),
  corrected: Number(line.corrected),
  kept: Number(line.kept),
  restricted: Number(line.restricted),
  ...(line.keptBasis ? { keptBasis: line.keptBasis } : {}),
  ...(line.stopped.length > 0 ? { stopped: line.stopped as (typeof purposes)[number][] } : {}),
});

const taskJson = (task: privacyV1.ParticipantTask) => ({
  participant: task.participant,
  state: task.state as 'pending' | 'done' | 'failed',
  requestedAt: iso(task.requestedAt) ?? '',
  completedAt: iso(task.completedAt) ?? null,
  receipt: task.receipt.map(counts),
  failureCode: task.failureCode || null,
  failureReason: task.failureReason || null,
});

function requestJson(request: privacyV1.SubjectRequest | undefined): z.infer<typeof requestSchema> {
  if (!request) throw new Error('service answered without a request');
  return {
    id: request.id,
    type: request.type as (typeof requestTypes)[number],
    state: request.state as z.infer<typeof requestSchema>['state'],
    jurisdiction: request.jurisdiction,
    subject: JSON.parse(request.subjectJson || '{}') as Record<string, unknown>,
    receivedAt: iso(request.receivedAt) ?? '',
    dueAt: iso(request.dueAt) ?? '',
    urgency: request.urgency as 'on_track' | 'due_soon' | 'overdue',
    extended: request.extended,
    extensionReason: request.extensionReason || null,
    paused: request.paused,
    acknowledgeBy: iso(request.acknowledgeBy) ?? null,
    verifiedBy: request.verifiedBy || null,
    reason: request.reason || null,
    tasks: request.tasks.map(taskJson),
    waitingFor: request.waitingFor,
    completedAt: iso(request.completedAt) ?? null,
    archiveReady: request.archiveReady,
  };
}

const consentSchema = z
  .object({
    id: z.uuid(),
    subject: z.record(z.string(), z.unknown()),
    purpose: z.string(),
    granted: z.boolean(),
    method: z.string(),
    textVersion: z.string(),
    recordedBy: z.string(),
    recordedAt: timestamp,
    basis: z.string().optional().openapi({
      description:
        'In `current` only: why this entry is the decision in force (for sale/share, how the Global Privacy Control rule applies)',
    }),
    overrides: z.uuid().optional().openapi({
      description:
        'In `current` only: a later entry this one wins over (a grant that does not override a GPC opt-out)',
    }),
  })
  .openapi('Consent');
const consentJson = (consent: privacyV1.Consent) => ({
  id: consent.id,
  subject: JSON.parse(consent.subjectJson) as Record<string, unknown>,
  purpose: consent.purpose,
  granted: consent.granted,
  method: consent.method,
  textVersion: consent.textVersion,
  recordedBy: consent.recordedBy,
  recordedAt: iso(consent.recordedAt) ?? '',
  ...(consent.basis ? { basis: consent.basis } : {}),
  ...(consent.overrides ? { overrides: consent.overrides } : {}),
});

const holdSchema = z
  .object({
    id: z.uuid(),
    subject: z.record(z.string(), z.unknown()),
    reason: z.string(),
    placedBy: z.string(),
    placedAt: timestamp,
    removedAt: timestamp.nullable(),
  })
  .openapi('LegalHold');
const holdJson = (hold: privacyV1.LegalHold | undefined) => ({
  id: hold?.id ?? '',
  subject: JSON.parse(hold?.subjectJson ?? '{}') as Record<string, unknown>,
  reason: hold?.reason ?? '',
  placedBy: hold?.placedBy ?? '',
  placedAt: iso(hold?.placedAt) ?? '',
  removedAt: iso(hold?.removedAt) ?? null,
});

const breachSchema = z
  .object({
    id: z.uuid(),
    description: z.string(),
    discoveredAt: timestamp,
    categories: z.array(z.string()),
    subjectsAffected: z.number(),
    notifyBy: timestamp.openapi({ description: '72 hours after discovery' }),
    notifiedAt: timestamp.nullable(),
    status: z.enum(['on_track', 'due_soon', 'overdue', 'notified']),
  })
  .openapi('Breach');
const breachJson = (breach: privacyV1.Breach | undefined) => ({
  id: breach?.id ?? '',
  description: breach?.description ?? '',
  discoveredAt: iso(breach?.discoveredAt) ?? '',
  categories: breach?.categories ?? [],
  subjectsAffected: Number(breach?.subjectsAffected ?? 0),
  notifyBy: iso(breach?.notifyBy) ?? '',
  notifiedAt: iso(breach?.notifiedAt) ?? null,
  status: (breach?.status ?? 'on_track') as 'on_track' | 'due_soon' | 'overdue' | 'notified',
});

const runSchema = z
  .object({ id: z.uuid(), startedAt: timestamp, state: z.string(), tasks: z.array(taskSchema) })
  .openapi('RetentionRun');
const runJson = (run: privacyV1.RetentionRun | undefined) => ({
  id: run?.id ?? '',
  startedAt: iso(run?.startedAt) ?? '',
  state: run?.state ?? '',
  tasks: (run?.tasks ?? []).map(taskJson),
});

const subjectQuery = subjectSchema;

/** More than everyone alive: a bound that no real breach reaches, and that stays an exact JSON number. */
const MAX_SUBJECTS_AFFECTED = 10_000_000_000;

/** A subject as the privacy contract takes it: every identifier present, the ones not given empty. */
function subjectMessage(subject: z.infer<typeof subjectSchema>): privacyV1.SubjectRef {
  return { accountId: subject.accountId ?? '', email: subject.email ?? '', phone: subject.phone ?? '' };
}
const reasonBody = z.object({ reason: z.string().trim().min(1).max(1000) }).strict();
const optionalReason = z.object({ reason: z.string().max(1000).optional() }).strict();

export function privacyRoutes(backends: Backends) {
  const { privacy } = backends;
  const tags = ['Privacy'];
  const clockRoute = (
    action: 'extend' | 'pause' | 'resume' | 'cancel',
    summary: string,
    body: z.ZodType,
    problems: ProblemCode[],
    call: (
      caller: Parameters<Backends['as']>[0],
      id: string,
      reason: string,
    ) => Promise<privacyV1.SubjectRequest | undefined>,
  ) =>
    route({
      method: 'post',
      path: `/v1/privacy/requests/{id}/${action}`,
      operationId: `${action}PrivacyRequest`,
      summary,
      tags,
      scope: 'privacy:write',
      params: idParams,
      body,
      problems: ['PRIVACY_REQUEST_NOT_FOUND', 'REQUEST_CLOSED', ...problems],
      response: { status: 200, description: 'The request after the change', schema: requestSchema },
      handler: async ({ caller, params, body: input }) =>
        requestJson(await call(caller, params.id, (input as { reason?: string } | undefined)?.reason ?? '')),
    });
  return [
    route({
      method: 'post',
      path: '/v1/privacy/requests',
      operationId: 'submitPrivacyRequest',
      problems: [
        'SUBJECT_INVALID',
        'PRIVACY_REQUEST_INVALID',
        'CHANGES_INVALID',
        'JURISDICTION_UNKNOWN',
        'ACCOUNT_NOT_FOUND',
        'NO_VERIFICATION_CHANNEL',
        'PROCESSING_RESTRICTED',
        'PRIVACY_REQUEST_LIMIT',
      ],
      summary: 'Submit a data-subject request',
      description:
        "A tenant's privacy officer (privacy:write) submits on a subject's behalf and the request is verified by that submission; a logged-in subject's own request is verified by their session; anyone else's waits for the one-time code mailed to the address the tenant holds for the subject (POST .../verify), valid for minutes. A request about an e-mail or phone the tenant does not hold sends nothing and answers exactly as for one it holds (201, state verifying), so it tells nothing about who is a customer. Without privacy:write, requests are capped per requester and per subject per day (429 `PRIVACY_REQUEST_LIMIT`). Rectification `changes` are checked here as the account API checks a profile change (400 naming the field, e.g. `changes.email`). Once verified it goes to every participant; the due date follows the jurisdiction (GDPR one calendar month, CCPA 45 days). It ends completed when every participant has carried out its part, or partially_completed when one could not (a rectified value it refuses, for instance: its task is failed with failureReason) or kept data under a law or a legal hold; `reason` then says who and why.",
      tags,
      scope: 'profile',
      body: z
        .object({
          type: z.enum(requestTypes),
          subject: subjectSchema,
          jurisdiction: z.enum(['gdpr', 'uk_gdpr', 'ccpa', 'other']).optional(),
          changes: profile.rectification.optional().openapi({
            description:
              'Rectification: the corrected profile fields, checked as the account API checks them (types, lengths, formats); a bad one answers 400 naming it (`changes.email`) and nothing is stored',
            example: { email: 'ann.new@example.com' },
          }),
        })
        .strict()
        .openapi('SubmitPrivacyRequest'),
      response: { status: 201, description: 'Received', schema: requestSchema },
      handler: async ({ caller, body }) =>
        requestJson(
          (
            await backends.as(caller, privacy, privacy.submitRequest, {
              type: body.type,
              subject: subjectMessage(body.subject),
              jurisdiction: body.jurisdiction ?? '',
              changesJson: body.changes ? JSON.stringify(body.changes) : '',
            })
          ).request,
        ),
    }),
    route({
      method: 'get',
      path: '/v1/privacy/requests',
      operationId: 'listPrivacyRequests',
      problems: ['PAGE_TOKEN_INVALID', 'PAGE_SIZE_INVALID', 'PRIVACY_REQUEST_INVALID'],
      summary: "The tenant's data-subject requests, newest first",
      description:
        'With privacy:read, every request of the tenant; otherwise (a logged-in subject) only those the caller filed or that are about them.',
      tags,
      scope: ['privacy:read', 'profile'],
      query: z.object({
        state: z.string().max(40).optional(),
        type: z.enum(requestTypes).optional(),
        overdue: z.enum(['true', 'false']).optional(),
        ...pageQuery.shape,
      }),
      response: {
        status: 200,
        description: 'A page of requests',
        schema: z
          .object({ requests: z.array(requestSchema), nextPageToken: nextPage })
          .openapi('PrivacyRequestPage'),
      },
      handler: async ({ caller, query }) => {
        const page = await backends.as(caller, privacy, privacy.listRequests, {
          pageSize: query.pageSize ?? 0,
          pageToken: query.pageToken ?? '',
          state: query.state ?? '',
          type: query.type ?? '',
          overdue: query.overdue === 'true',
        });
        return { requests: page.requests.map(requestJson), nextPageToken: page.nextPageToken };
      },
    }),
    route({
      method: 'get',
      path: '/v1/privacy/requests/{id}',
      operationId: 'getPrivacyRequest',
      problems: ['PRIVACY_REQUEST_NOT_FOUND'],
      summary: "A request: state, due date, and each participant's task and receipt",
      description:
        'With privacy:read, any request of the tenant; otherwise (a logged-in subject) one the caller filed or that is about them: any other answers 404.',
      tags,
      scope: ['privacy:read', 'profile'],
      params: idParams,
      response: { status: 200, description: 'The request', schema: requestSchema },
      handler: async ({ caller, params }) =>
        requestJson((await backends.as(caller, privacy, privacy.getRequest, { id: params.id })).request),
    }),
    route({
      method: 'post',
      path: '/v1/privacy/requests/{id}/verify',
      operationId: 'verifyPrivacyRequest',
      problems: [
        'PRIVACY_REQUEST_NOT_FOUND',
        'CODE_INVALID',
        'NOT_THE_REQUESTER',
        'VERIFICATION_LOCKED',
        'CODE_EXPIRED',
        'NOT_AWAITING_VERIFICATION',
        'VERIFICATION_LIMIT',
      ],
      summary: 'Verify a request with the one-time code sent to the subject',
      tags,
      scope: 'profile',
      params: idParams,
      body: z
        .object({
          code: z
            .string()
            .regex(/^\d{6}$/, 'six digits')
            .openapi({ example: '492817' }),
        })
        .strict(),
      response: { status: 200, description: 'Verified and under way', schema: requestSchema },
      handler: async ({ caller, params, body }) =>
        requestJson(
          (await backends.as(caller, privacy, privacy.verifyRequest, { id: params.id, code: body.code }))
            .request,
        ),
    }),
    clockRoute(
      'extend',
      'Extend the deadline once, with a reason told to the subject',
      reasonBody,
      ['EXTENSION_REASON_REQUIRED', 'ALREADY_EXTENDED', 'EXTENSION_NOT_ALLOWED', 'EXTENSION_TOO_LATE'],
      async (caller, id, reason) =>
        (await backends.as(caller, privacy, privacy.extendRequest, { id, reason })).request,
    ),
    clockRoute(
      'pause',
      'Pause the clock while waiting for the subject',
      optionalReason,
      ['ALREADY_PAUSED'],
      async (caller, id, reason) =>
        (await backends.as(caller, privacy, privacy.pauseRequest, { id, reason })).request,
    ),
    clockRoute(
      'resume',
      'Resume the clock; the due date moves by the time paused',
      optionalReason,
      ['NOT_PAUSED', 'RESUMED_BEFORE_PAUSED'],
      async (caller, id) => (await backends.as(caller, privacy, privacy.resumeRequest, { id })).request,
    ),
    clockRoute(
      'cancel',
      'Cancel a request that has not been carried out',
      optionalReason,
      ['REQUEST_NOT_CANCELLABLE'],
      async (caller, id, reason) =>
        (await backends.as(caller, privacy, privacy.cancelRequest, { id, reason })).request,
    ),
    route({
      method: 'get',
      path: '/v1/privacy/requests/{id}/archive',
      operationId: 'getPrivacyArchiveLink',
      problems: [
        'PRIVACY_REQUEST_NOT_FOUND',
        'NOT_THE_REQUESTER',
        'ARCHIVE_NOT_READY',
        'SEALED_ARCHIVE_UNREADABLE',
      ],
      summary: 'An expiring download link to the export archive (ZIP)',
      description:
        'For the verified requester, or the subject logged in, only. The link expires, and opens the archive only with the credentials of someone who may have it (the requester, or for a request filed with an API key or client, any credential of the tenant holding privacy:write, so a rotated key loses nothing). An erasure of the subject destroys the archive and every link.',
      tags,
      scope: 'profile',
      params: idParams,
      response: {
        status: 200,
        description: 'The link',
        schema: z.object({ url: z.string(), expiresAt: timestamp }).openapi('ArchiveLink'),
      },
      handler: async ({ caller, params }) => {
        const link = await backends.as(caller, privacy, privacy.createArchiveLink, { id: params.id });
        return { url: `/v1/privacy/archives/${link.token}`, expiresAt: iso(link.expiresAt) ?? '' };
      },
    }),
    route({
      method: 'get',
      path: '/v1/privacy/archives/{id}',
      operationId: 'downloadPrivacyArchive',
      problems: [
        'ARCHIVE_LINK_INVALID',
        'NOT_THE_REQUESTER',
        'ARCHIVE_NOT_READY',
        'SEALED_ARCHIVE_UNREADABLE',
        'UPSTREAM_UNAVAILABLE',
      ],
      summary: 'Download an export archive through its link',
      description:
        "Needs the requester's own credentials as well as the link: the link alone opens nothing. Answers 404 once the link has expired or the archive was destroyed (by the subject's erasure or its retention). Streamed as it is read, whatever its size, with its Content-Length.",
      tags,
      scope: 'profile',
      params: linkTokenParams,
      response: {
        status: 200,
        description: 'The ZIP: manifest.json and a JSON and a CSV file per category',
        schema: z.string().openapi({ format: 'binary' }),
        contentType: 'application/zip',
      },
      handler: async ({ caller, params }) => {
        const pieces = privacy.downloadArchive(
          { token: params.id },
          await backends.metadataFor(caller),
        ) as AsyncIterable<privacyV1.DownloadArchiveResponse>;
        // The first piece names and sizes the archive; a refusal (link invalid, not the requester) comes
        // instead of it and answers its problem.
        const iterator = pieces[Symbol.asyncIterator]();
        const first = await iterator.next();
        if (first.done) throw new Error('the archive stream ended before its first piece');
        async function* bytes(): AsyncIterable<Buffer> {
          yield Buffer.from(first.value.chunk);
          for (let next = await iterator.next(); !next.done; next = await iterator.next())
            yield Buffer.from(next.value.chunk);
        }
        return {
          file: { name: first.value.fileName, length: Number(first.value.size), stream: bytes() },
        } as never;
      },
    }),
    route({
      method: 'post',
      path: '/v1/privacy/consents',
      operationId: 'recordConsent',
      problems: ['SUBJECT_INVALID', 'CONSENT_INVALID', 'CONSENT_NOT_OWN', 'ACCOUNT_NOT_FOUND'],
      summary: 'Record a consent decision (append-only)',
      description:
        "A privacy officer (privacy:write) records decisions for any subject (a signed form, an import). Anyone else records only their own: a logged-in user whose own account, e-mail or phone the subject names; any other subject, or a credential that is nobody's self (an API key without privacy:write), is refused with 403 `CONSENT_NOT_OWN` and nothing is written. A request carrying the Global Privacy Control signal (`Sec-GPC: 1`) also records an opt-out of sale/share.",
      tags,
      scope: 'profile',
      body: z
        .object({
          subject: subjectSchema,
          purpose: z.enum(purposes),
          granted: z.boolean(),
          method: z.enum(['api', 'form', 'banner', 'gpc', 'import']).optional(),
          textVersion: z.string().min(1).max(100),
        })
        .strict()
        .openapi('RecordConsentRequest'),
      response: {
        status: 201,
        description: 'The entries written',
        schema: z.object({ consents: z.array(consentSchema) }),
      },
      handler: async ({ caller, body, request }) => ({
        consents: (
          await backends.as(caller, privacy, privacy.recordConsent, {
            subject: subjectMessage(body.subject),
            purpose: body.purpose,
            granted: body.granted,
            method: body.method ?? 'api',
            textVersion: body.textVersion,
            globalPrivacyControl: request.get('sec-gpc') === '1',
          })
        ).consents.map(consentJson),
      }),
    }),
    route({
      method: 'get',
      path: '/v1/privacy/consents',
      operationId: 'listConsents',
      problems: ['SUBJECT_INVALID'],
      summary: "A subject's current consents and their history",
      tags,
      scope: 'privacy:read',
      query: subjectQuery,
      response: {
        status: 200,
        description: 'The ledger',
        schema: z.object({ current: z.array(consentSchema), history: z.array(consentSchema) }),
      },
      handler: async ({ caller, query }) => {
        const ledger = await backends.as(caller, privacy, privacy.listConsents, {
          subject: subjectMessage(query),
        });
        return { current: ledger.current.map(consentJson), history: ledger.history.map(consentJson) };
      },
    }),
    route({
      method: 'post',
      path: '/v1/privacy/legal-holds',
      operationId: 'placeLegalHold',
      problems: ['SUBJECT_INVALID', 'HOLD_INVALID'],
      summary: "Place a legal hold on a subject's data",
      description: 'While a hold stands, erasure keeps the held data and every receipt says so.',
      tags,
      scope: 'privacy:write',
      body: z.object({ subject: subjectSchema, reason: z.string().trim().min(3).max(1000) }).strict(),
      response: { status: 201, description: 'Placed', schema: holdSchema },
      handler: async ({ caller, body }) =>
        holdJson(
          (
            await backends.as(caller, privacy, privacy.placeLegalHold, {
              subject: subjectMessage(body.subject),
              reason: body.reason,
            })
          ).hold,
        ),
    }),
    route({
      method: 'get',
      path: '/v1/privacy/legal-holds',
      operationId: 'listLegalHolds',
      summary: "The tenant's legal holds",
      tags,
      scope: 'privacy:read',
      query: z.object({ includeRemoved: z.enum(['true', 'false']).optional() }),
      response: { status: 200, description: 'The holds', schema: z.object({ holds: z.array(holdSchema) }) },
      handler: async ({ caller, query }) => ({
        holds: (
          await backends.as(caller, privacy, privacy.listLegalHolds, {
            includeRemoved: query.includeRemoved === 'true',
          })
        ).holds.map(holdJson),
      }),
    }),
    route({
      method: 'delete',
      path: '/v1/privacy/legal-holds/{id}',
      operationId: 'removeLegalHold',
      problems: ['LEGAL_HOLD_NOT_FOUND'],
      summary: 'Remove a legal hold',
      tags,
      scope: 'privacy:write',
      params: idParams,
      response: { status: 200, description: 'Removed', schema: holdSchema },
      handler: async ({ caller, params }) =>
        holdJson((await backends.as(caller, privacy, privacy.removeLegalHold, { id: params.id })).hold),
    }),
    route({
      method: 'get',
      path: '/v1/privacy/retention-policies',
      operationId: 'listRetentionPolicies',
      summary: "Retention per participant category: the defaults and the tenant's own",
      tags,
      scope: 'privacy:read',
      response: {
        status: 200,
        description: 'The policies',
        schema: z.object({
          policies: z.array(
            z.object({
              participant: z.string(),
              category: z.string(),
              days: z.number(),
              isDefault: z.boolean().openapi({
                description:
                  "true: the participant's declared default (see the data map's defaultRetentionDays); false: the tenant's own policy",
              }),
            }),
          ),
        }),
      },
      handler: async ({ caller }) => backends.as(caller, privacy, privacy.listRetentionPolicies, {}),
    }),
    route({
      method: 'put',
      path: '/v1/privacy/retention-policies',
      operationId: 'setRetentionPolicy',
      problems: ['RETENTION_INVALID'],
      summary: 'Set how long one category is kept for this tenant',
      tags,
      scope: 'privacy:write',
      body: z
        .object({
          participant: z.string().min(1).max(40),
          category: z.string().min(1).max(64),
          days: z.number().int().min(1).max(36500),
        })
        .strict(),
      response: {
        status: 200,
        description: 'The policy',
        schema: z.object({
          participant: z.string(),
          category: z.string(),
          days: z.number(),
          isDefault: z.boolean(),
        }),
      },
      handler: async ({ caller, body }) => {
        const { policy } = await backends.as(caller, privacy, privacy.setRetentionPolicy, body);
        return policy ?? { ...body, isDefault: false };
      },
    }),
    route({
      method: 'post',
      path: '/v1/privacy/retention-runs',
      operationId: 'runRetention',
      summary: 'Enforce retention now: every participant purges what is past its time',
      tags,
      scope: 'privacy:write',
      response: { status: 202, description: 'Started; the receipts are the report', schema: runSchema },
      handler: async ({ caller }) =>
        runJson((await backends.as(caller, privacy, privacy.runRetention, {})).run),
    }),
    route({
      method: 'get',
      path: '/v1/privacy/retention-runs',
      operationId: 'listRetentionRuns',
      summary: 'Past retention runs and what each purged',
      tags,
      scope: 'privacy:read',
      response: { status: 200, description: 'The runs', schema: z.object({ runs: z.array(runSchema) }) },
      handler: async ({ caller }) => ({
        runs: (await backends.as(caller, privacy, privacy.listRetentionRuns, {})).runs.map(runJson),
      }),
    }),
    route({
      method: 'get',
      path: '/v1/privacy/data-map',
      operationId: 'getDataMap',
      summary: 'The records of processing, assembled live from every participant',
      tags,
      scope: 'privacy:read',
      response: {
        status: 200,
        description: 'The data map',
        schema: z
          .object({
            participants: z.array(
              z.object({
                participant: z.string(),
                reachable: z.boolean(),
                categories: z.array(
                  z.object({
                    id: z.string(),
                    description: z.string(),
                    subjects: z.array(z.string()),
                    purpose: z.string(),
                    legalBasis: z.string(),
                    retention: z.string(),
                    legalObligation: z.string(),
                    defaultRetentionDays: z.number().int().min(0).openapi({
                      description:
                        "The participant's default retention in days, used unless the tenant sets a policy; 0: kept while needed, no automatic purge",
                      example: 30,
                    }),
                    consentPurposes: z.array(z.string()).openapi({
                      description:
                        'The consent purposes (see Consent.purpose) the data is used for; an objection, withdrawal or opt-out of one of them stops that use, and the receipt says so',
                      example: ['marketing_email', 'sale_share'],
                    }),
                  }),
                ),
              }),
            ),
          })
          .openapi('DataMap'),
      },
      handler: async ({ caller }) => backends.as(caller, privacy, privacy.getDataMap, {}),
    }),
    route({
      method: 'get',
      path: '/v1/privacy/audit',
      operationId: 'listAudit',
      problems: ['PAGE_TOKEN_INVALID', 'PAGE_SIZE_INVALID', 'AUDIT_ENTRY_ID_INVALID'],
      summary: 'The audit log, newest first',
      tags,
      scope: 'privacy:read',
      query: z.object({
        requestId: z.string().max(100).optional(),
        ...pageQuery.shape,
      }),
      response: {
        status: 200,
        description: 'A page of entries',
        schema: z.object({
          entries: z.array(
            z.object({
              id: z.string(),
              at: timestamp,
              actor: z.string(),
              action: z.string(),
              requestId: z.string().nullable(),
              details: z.record(z.string(), z.unknown()),
              prevHash: z.string(),
              hash: z.string(),
            }),
          ),
          nextPageToken: nextPage,
        }),
      },
      handler: async ({ caller, query }) => {
        const page = await backends.as(caller, privacy, privacy.listAudit, {
          pageSize: query.pageSize ?? 0,
          pageToken: query.pageToken ?? '',
          requestId: query.requestId ?? '',
        });
        return {
          entries: page.entries.map((entry) => ({
            id: entry.id,
            at: iso(entry.at) ?? '',
            actor: entry.actor,
            action: entry.action,
            requestId: entry.requestId || null,
            details: JSON.parse(entry.detailsJson) as Record<string, unknown>,
            prevHash: entry.prevHash,
            hash: entry.hash,
          })),
          nextPageToken: page.nextPageToken,
        };
      },
    }),
    route({
      method: 'get',
      path: '/v1/privacy/audit/verify',
      operationId: 'verifyAudit',
      summary: 'Recompute the audit hash chain',
      tags,
      scope: 'privacy:read',
      response: {
        status: 200,
        description:
          '{"valid": true, "entries": n} or {"valid": false, "entries": n, "firstBrokenEntry": id}',
        schema: z
          .object({ valid: z.boolean(), entries: z.number(), firstBrokenEntry: z.string().optional() })
          .openapi('AuditVerification'),
      },
      handler: async ({ caller }) => {
        const result = await backends.as(caller, privacy, privacy.verifyAudit, {});
        return result.valid
          ? { valid: true, entries: Number(result.entries) }
          : { valid: false, entries: Number(result.entries), firstBrokenEntry: result.firstBrokenEntry };
      },
    }),
    route({
      method: 'post',
      path: '/v1/privacy/breaches',
      operationId: 'recordBreach',
      problems: ['BREACH_INVALID'],
      summary: 'Register a personal data breach; the authority must hear within 72 hours of discovery',
      tags,
      scope: 'privacy:write',
      body: z
        .object({
          description: z.string().min(5).max(5000),
          discoveredAt: z.iso.datetime({ offset: true }),
          categories: z.array(z.string().min(1).max(64)).min(1),
          subjectsAffected: z
            .number()
            .int()
            .min(0)
            .max(MAX_SUBJECTS_AFFECTED)
            .openapi({
              description: `How many people the breach touches, 0-${MAX_SUBJECTS_AFFECTED.toLocaleString('en')} (an estimate is fine).`,
              example: 1200,
            }),
        })
        .strict()
        .openapi('RecordBreachRequest'),
      response: { status: 201, description: 'Registered', schema: breachSchema },
      handler: async ({ caller, body }) =>
        breachJson(
          (
            await backends.as(caller, privacy, privacy.recordBreach, {
              description: body.description,
              discoveredAt: new Date(body.discoveredAt),
              categories: body.categories,
              subjectsAffected: String(body.subjectsAffected),
            })
          ).breach,
        ),
    }),
    route({
      method: 'get',
      path: '/v1/privacy/breaches',
      operationId: 'listBreaches',
      summary: "The tenant's breach register",
      tags,
      scope: 'privacy:read',
      response: {
        status: 200,
        description: 'The breaches',
        schema: z.object({ breaches: z.array(breachSchema) }),
      },
      handler: async ({ caller }) => ({
        breaches: (await backends.as(caller, privacy, privacy.listBreaches, {})).breaches.map(breachJson),
      }),
    }),
    route({
      method: 'post',
      path: '/v1/privacy/breaches/{id}/notified',
      operationId: 'markBreachNotified',
      problems: ['BREACH_NOT_FOUND', 'BREACH_INVALID', 'BREACH_ALREADY_NOTIFIED'],
      summary: 'Record that the supervisory authority was notified',
      tags,
      scope: 'privacy:write',
      params: idParams,
      body: z.object({ notifiedAt: z.iso.datetime({ offset: true }).optional() }).strict(),
      response: { status: 200, description: 'The breach', schema: breachSchema },
      handler: async ({ caller, params, body }) =>
        breachJson(
          (
            await backends.as(caller, privacy, privacy.markBreachNotified, {
              id: params.id,
              notifiedAt: body.notifiedAt ? new Date(body.notifiedAt) : new Date(),
            })
          ).breach,
        ),
    }),
    route({
      method: 'get',
      path: '/v1/privacy/dev/mailbox',
      operationId: 'readDevMailbox',
      problems: ['MAILBOX_DISABLED'],
      summary: 'What the development mailbox received (npm start only): codes and notices to subjects',
      tags,
      scope: 'privacy:read',
      query: z.object({ to: z.string().max(254).optional() }),
      response: {
        status: 200,
        description: 'Messages, newest first',
        schema: z.object({
          messages: z.array(
            z.object({ to: z.string(), subject: z.string(), text: z.string(), sentAt: timestamp }),
          ),
        }),
      },
      handler: async ({ caller, query }) => ({
        messages: (
          await backends.as(caller, privacy, privacy.readMailbox, { to: query.to ?? '' })
        ).messages.map((message) => ({
          to: message.to,
          subject: message.subject,
          text: message.text,
          sentAt: iso(message.sentAt) ?? '',
        })),
      }),
    }),
  ];
}
