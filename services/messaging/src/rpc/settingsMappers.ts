import type { messagingV1 } from '@parley/proto';
import type { SenderRates } from '../domain/pacing';
import { DEFAULT_METADATA_RETENTION_DAYS, effectiveRates, type MessagingSettings } from '../domain/settings';

/** Throughput classes as the domain names them and as the proto's fields do. */
const FIELDS = { long_code: 'longCode', toll_free: 'tollFree', short_code: 'shortCode' } as const;

export function ratesMessage(rates: Partial<SenderRates>): messagingV1.SenderRates {
  const message: messagingV1.SenderRates = {};
  for (const [name, field] of Object.entries(FIELDS))
    if (rates[name as keyof SenderRates] !== undefined) message[field] = rates[name as keyof SenderRates];
  return message;
}

export function ratesOf(message: messagingV1.SenderRates | undefined): Partial<SenderRates> {
  const rates: Partial<SenderRates> = {};
  for (const [name, field] of Object.entries(FIELDS))
    if (message?.[field] !== undefined) rates[name as keyof SenderRates] = message[field];
  return rates;
}

/** The settings as the RPCs answer them: what the tenant set, and what is in force. */
export function settingsMessage(
  settings: MessagingSettings,
  serviceRates: SenderRates,
): messagingV1.MessagingSettings {
  return {
    contentRetentionDays: settings.contentRetentionDays ?? undefined,
    metadataRetentionDays: settings.metadataRetentionDays ?? DEFAULT_METADATA_RETENTION_DAYS,
    senderRates: ratesMessage(settings.senderRates),
    effectiveSenderRates: ratesMessage(effectiveRates(serviceRates, settings.senderRates)),
    helpText: settings.helpText ?? undefined,
    recordingsAllowed: settings.recordingsAllowed,
    recordingConsentRequired: settings.recordingConsentRequired,
    trafficDataRetention: settings.trafficDataRetention ?? undefined,
    updatedAt: settings.updatedAt ?? undefined,
  };
}
