import { messagingV1 } from '@parley/proto';
import type { Backends } from '../../backends';
import { route } from '../route';
import { iso, timestamp } from '../schemas';
import { z } from '../zod';

const days = (min: number) => z.number().int().min(min).max(3650);
const rate = z.number().gt(0).max(1000);

const ratesSchema = z
  .object({
    long_code: rate.optional().openapi({ example: 1 }),
    toll_free: rate.optional().openapi({ example: 3 }),
    short_code: rate.optional().openapi({ example: 100 }),
  })
  .strict();

const trafficSchema = z
  .object({
    days: days(1).openapi({ description: 'Days after a call its record is kept (1 to 3650)', example: 2190 }),
    law: z
      .string()
      .max(200)
      .refine((text) => text.trim() !== '', 'must not be empty or blank')
      .openapi({
        description: 'A short citation of the law (1 to 200 characters), named in erasure receipts',
        example: 'IT D.Lgs. 196/2003 art. 132',
      }),
  })
  .strict()
  .openapi('TrafficDataRetention');

const settingsSchema = z
  .object({
    contentRetentionDays: days(0).nullable().openapi({
      description:
        "Days a message's body and media URLs are kept after its final status (delivered, undelivered, failed, expired); null: removed right after it (the default). Metadata stays.",
      example: 30,
    }),
    metadataRetentionDays: days(1).openapi({
      description:
        "Days a message's metadata (time, numbers, segments, status, history), a call's record and its recording references are kept after it was created (the call started; default 365). Call records stay longer when trafficDataRetention's days are longer.",
      example: 365,
    }),
    senderRates: ratesSchema.openapi({
      description:
        "The tenant's overrides of the service's rates: segments per second per sender number, by throughput class",
    }),
    effectiveSenderRates: ratesSchema.openapi({
      description: 'The rates in force for every class: the overrides over the service defaults',
    }),
    helpText: z.string().nullable().openapi({
      description: 'The answer to the HELP and INFO keywords; null when none is set',
      example: 'Acme alerts: reply STOP to opt out. Help: support@acme.example',
    }),
    recordingsAllowed: z.boolean().openapi({
      description:
        "Whether references to call recordings and voicemail the carrier holds are kept with the call's record (default false: not kept)",
      example: true,
    }),
    recordingConsentRequired: z.boolean().openapi({
      description:
        "Whether a recording reference is kept only when the carrier recorded the parties' consent; one without is refused (default true)",
      example: true,
    }),
    trafficDataRetention: trafficSchema.nullable().openapi({
      description:
        "A law obliging the tenant to keep traffic data (the tenant knows its country's): every call record is kept at least its days after the call, even when metadataRetentionDays is shorter (messages and recording references still follow metadataRetentionDays). Within those days, an erased person's call records are anonymised (their numbers, account and client IP replaced by keyed hashes) and kept, then deleted when the days have passed; older ones are deleted at once. null: none (the default), erasure deletes call records.",
    }),
    updatedAt: timestamp.nullable().openapi({ description: 'When they were last changed; null if never' }),
  })
  .openapi('MessagingSettings');

const patchBody = z
  .object({
    contentRetentionDays: days(0)
      .nullable()
      .optional()
      .openapi({ description: '0 to 3650 days after the final status; null: removed right after it' }),
    metadataRetentionDays: days(1)
      .nullable()
      .optional()
      .openapi({ description: '1 to 3650 days after creation; null: back to the default (365)' }),
    senderRates: ratesSchema.nullable().optional().openapi({
      description:
        'Replaces the overrides as a whole (classes left out use the service rate); null or {} removes them. Each rate above 0, at most 1000.',
    }),
    helpText: z
      .string()
      .max(1600)
      .refine((text) => text.trim() !== '', 'must not be empty or blank')
      .nullable()
      .optional()
      .openapi({ description: '1 to 1600 characters; null removes it' }),
    recordingsAllowed: z.boolean().optional().openapi({ description: 'Keep call recording references' }),
    recordingConsentRequired: z
      .boolean()
      .optional()
      .openapi({ description: "Keep a recording reference only with the carrier's consent flag" }),
    trafficDataRetention: trafficSchema.nullable().optional().openapi({
      description:
        'The law obliging the tenant to keep traffic data and its days (1 to 3650): every call record is kept at least that long; null: no obligation',
    }),
  })
  .strict()
  .refine((body) => Object.keys(body).length > 0, 'name at least one setting to change')
  .openapi('UpdateMessagingSettingsRequest');

type SettingsJson = z.infer<typeof settingsSchema>;
type RatesJson = z.infer<typeof ratesSchema>;

const ratesJson = (rates: messagingV1.SenderRates | undefined): RatesJson => ({
  ...(rates?.longCode !== undefined ? { long_code: rates.longCode } : {}),
  ...(rates?.tollFree !== undefined ? { toll_free: rates.tollFree } : {}),
  ...(rates?.shortCode !== undefined ? { short_code: rates.shortCode } : {}),
});

function settingsJson(settings: messagingV1.MessagingSettings | undefined): SettingsJson {
  if (!settings) throw new Error('service answered without settings');
  return {
    contentRetentionDays: settings.contentRetentionDays ?? null,
    metadataRetentionDays: settings.metadataRetentionDays,
    senderRates: ratesJson(settings.senderRates),
    effectiveSenderRates: ratesJson(settings.effectiveSenderRates),
    helpText: settings.helpText ?? null,
    recordingsAllowed: settings.recordingsAllowed,
    recordingConsentRequired: settings.recordingConsentRequired,
    trafficDataRetention: settings.trafficDataRetention
      ? { days: settings.trafficDataRetention.days, law: settings.trafficDataRetention.law }
      : null,
    updatedAt: iso(settings.updatedAt) ?? null,
  };
}

const MASK = {
  contentRetentionDays: 'content_retention_days',
  metadataRetentionDays: 'metadata_retention_days',
  senderRates: 'sender_rates',
  helpText: 'help_text',
  recordingsAllowed: 'recordings_allowed',
  recordingConsentRequired: 'recording_consent_required',
  trafficDataRetention: 'traffic_data_retention',
} as const;

const exampleSettings: SettingsJson = {
  contentRetentionDays: 30,
  metadataRetentionDays: 365,
  senderRates: { long_code: 2 },
  effectiveSenderRates: { long_code: 2, toll_free: 3, short_code: 100 },
  helpText: 'Acme alerts: reply STOP to opt out. Help: support@acme.example',
  recordingsAllowed: true,
  recordingConsentRequired: true,
  trafficDataRetention: { days: 2190, law: 'IT D.Lgs. 196/2003 art. 132' },
  updatedAt: '2026-12-01T12:30:00.000Z',
};

export function messagingSettingsRoutes(backends: Backends) {
  const { messaging } = backends;
  return [
    route({
      method: 'get',
      path: '/v1/messaging/settings',
      operationId: 'getMessagingSettings',
      summary: "The tenant's messaging settings: retention, sender rates, HELP text, recordings",
      description:
        'A tenant that never changed them has the defaults: content removed at the final status, metadata kept 365 days, the service rates, no help text, no recordings kept, no obligation to keep traffic data.',
      tags: ['Messages'],
      scope: 'messages:read',
      response: { status: 200, description: 'The settings', schema: settingsSchema },
      examples: { response: exampleSettings },
      handler: async ({ caller }) =>
        settingsJson((await backends.as(caller, messaging, messaging.getMessagingSettings, {})).settings),
    }),
    route({
      method: 'patch',
      path: '/v1/messaging/settings',
      operationId: 'updateMessagingSettings',
      problems: ['MESSAGING_INVALID_REQUEST'],
      summary: "Change the tenant's messaging settings",
      description:
        'Fields present change, fields absent are kept, null restores the default. A shorter content retention applies at once to content already past it. Sender rates pace each sender number (a queue per number); they cannot make a carrier accept more than it does.',
      tags: ['Messages'],
      scope: 'messaging:settings',
      body: patchBody,
      response: { status: 200, description: 'The settings after the change', schema: settingsSchema },
      examples: {
        request: {
          contentRetentionDays: 30,
          senderRates: { long_code: 2 },
          trafficDataRetention: { days: 2190, law: 'IT D.Lgs. 196/2003 art. 132' },
        },
        response: exampleSettings,
      },
      handler: async ({ caller, body }) => {
        const updateMask = Object.keys(body).map((field) => MASK[field as keyof typeof MASK]);
        const rates = body.senderRates ?? {};
        const { settings } = await backends.as(caller, messaging, messaging.updateMessagingSettings, {
          updateMask,
          settings: {
            contentRetentionDays: body.contentRetentionDays ?? undefined,
            metadataRetentionDays: body.metadataRetentionDays ?? 0,
            senderRates: {
              longCode: rates.long_code,
              tollFree: rates.toll_free,
              shortCode: rates.short_code,
            },
            helpText: body.helpText ?? undefined,
            recordingsAllowed: body.recordingsAllowed ?? false,
            recordingConsentRequired: body.recordingConsentRequired ?? true,
            trafficDataRetention: body.trafficDataRetention ?? undefined,
          },
        });
        return settingsJson(settings);
      },
    }),
  ];
}
