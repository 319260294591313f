// A tenant's messaging settings: their bounds, their defaults, and what is in force. Pure.
import type { FieldViolation } from '@parley/kit';
import type { SenderRates, ThroughputClass } from './pacing';

/** Days of metadata a tenant without its own setting keeps (the privacy declaration's default). */
export const DEFAULT_METADATA_RETENTION_DAYS = 365;
export const RETENTION_DAYS_MAX = 3650;
/** The highest rate a tenant may set for a class (segments per second per sender number). */
export const SENDER_RATE_MAX = 1000;
export const HELP_TEXT_MAX = 1600;
/** The longest citation of a traffic-data retention law a tenant may give. */
export const TRAFFIC_LAW_MAX = 200;

/**
 * A law obliging the tenant to keep traffic data (call records) for `days` after the call, even about a
 * person who asked to be erased (Italy's Codice privacy art. 132, say): the tenant knows its country's law.
 */
export interface TrafficDataRetention {
  days: number;
  /** A short citation of the law, named in erasure receipts. */
  law: string;
}

export const THROUGHPUT_CLASSES: readonly ThroughputClass[] = ['long_code', 'toll_free', 'short_code'];

/** What a tenant set; null and absent mean the defaults. */
export interface MessagingSettings {
  /** Days content is kept after the final status; null: removed right after it. */
  contentRetentionDays: number | null;
  /** Days metadata is kept after creation; null: DEFAULT_METADATA_RETENTION_DAYS. */
  metadataRetentionDays: number | null;
  senderRates: Partial<SenderRates>;
  helpText: string | null;
  /** Whether references to the carrier's call recordings and voicemail are kept (default no). */
  recordingsAllowed: boolean;
  /** Whether a recording reference is kept only with the carrier's consent flag (default yes). */
  recordingConsentRequired: boolean;
  /** The tenant's obligation to keep traffic data; null: none (erasure deletes call records). */
  trafficDataRetention: TrafficDataRetention | null;
  updatedAt: Date | null;
}

export const DEFAULT_SETTINGS: MessagingSettings = {
  contentRetentionDays: null,
  metadataRetentionDays: null,
  senderRates: {},
  helpText: null,
  recordingsAllowed: false,
  recordingConsentRequired: true,
  trafficDataRetention: null,
  updatedAt: null,
};

/** A change: a field present is set (null clears it back to its default), a field absent is kept. */
export type SettingsPatch = Partial<Omit<MessagingSettings, 'updatedAt'>>;

/** The service's rates with the tenant's overrides over them. */
export function effectiveRates(service: SenderRates, overrides: Partial<SenderRates>): SenderRates {
  return { ...service, ...overrides };
}

/** Days the tenant keeps message metadata (messages and their history) after creation. */
export function metadataRetentionDays(settings: Pick<MessagingSettings, 'metadataRetentionDays'>): number {
  return settings.metadataRetentionDays ?? DEFAULT_METADATA_RETENTION_DAYS;
}

/**
 * Days the tenant keeps every call record after the call started: its metadata retention, or the days of a
 * law obliging it to keep traffic data when that is longer (the law binds every call, not only an erased
 * person's). Call records only: messages and recording references keep following the metadata retention.
 */
export function callRetentionDays(
  settings: Pick<MessagingSettings, 'metadataRetentionDays' | 'trafficDataRetention'>,
): number {
  return Math.max(metadataRetentionDays(settings), settings.trafficDataRetention?.days ?? 0);
}

/** A tenant's retentions in days: of message metadata, and of call records (callRetentionDays). */
export interface TenantRetention {
  tenantId: string;
  metadataDays: number;
  callDays: number;
}

/**
 * What the platform's daily metadata retention keeps, given the tenants whose retentions differ from the
 * defaults: whole months are dropped past the longest metadata retention (messages, recording references)
 * and the longest call retention (calls); the tenants keeping either less need their own delete.
 */
export function platformRetention(tenants: readonly TenantRetention[]): {
  metadataDays: number;
  callDays: number;
  shorter: TenantRetention[];
} {
  // reduce, not Math.max(...spread): the arguments of a call are bounded, the tenants are not.
  const metadataDays = tenants.reduce(
    (most, t) => Math.max(most, t.metadataDays),
    DEFAULT_METADATA_RETENTION_DAYS,
  );
  const callDays = tenants.reduce((most, t) => Math.max(most, t.callDays), metadataDays);
  const shorter = tenants.filter((t) => t.metadataDays < metadataDays || t.callDays < callDays);
  return { metadataDays, callDays, shorter };
}

/** Every field of the patch that is out of bounds, named. */
export function settingsViolations(patch: SettingsPatch): FieldViolation[] {
  const violations: FieldViolation[] = [];
  const days = (field: string, value: number | null | undefined, min: number) => {
    if (value === null || value === undefined) return;
    if (!Number.isInteger(value) || value < min || value > RETENTION_DAYS_MAX)
      violations.push({ field, description: `a whole number of days from ${min} to ${RETENTION_DAYS_MAX}` });
  };
  days('contentRetentionDays', patch.contentRetentionDays, 0);
  days('metadataRetentionDays', patch.metadataRetentionDays, 1);
  for (const [name, rate] of Object.entries(patch.senderRates ?? {})) {
    if (!THROUGHPUT_CLASSES.includes(name as ThroughputClass))
      violations.push({ field: `senderRates.${name}`, description: 'not a throughput class' });
    else if (typeof rate !== 'number' || !(rate > 0) || rate > SENDER_RATE_MAX)
      violations.push({
        field: `senderRates.${name}`,
        description: `segments per second, above 0 and at most ${SENDER_RATE_MAX}`,
      });
  }
  if (patch.helpText !== null && patch.helpText !== undefined) {
    if (patch.helpText.trim() === '' || patch.helpText.length > HELP_TEXT_MAX)
      violations.push({ field: 'helpText', description: `from 1 to ${HELP_TEXT_MAX} characters, not blank` });
  }
  const traffic = patch.trafficDataRetention;
  if (traffic !== null && traffic !== undefined) {
    days('trafficDataRetention.days', traffic.days, 1);
    if (typeof traffic.law !== 'string' || traffic.law.trim() === '' || traffic.law.length > TRAFFIC_LAW_MAX)
      violations.push({
        field: 'trafficDataRetention.law',
        description: `a citation of the law, from 1 to ${TRAFFIC_LAW_MAX} characters, not blank`,
      });
  }
  return violations;
}
