import type { RpcContext } from '@parley/kit';
import type { messagingV1 } from '@parley/proto';
import type { MessagingDeps } from '../deps';
import { invalidRequest } from '../domain/errors';
import { settingsViolations, type SettingsPatch } from '../domain/settings';
import { queueContentSweep } from '../jobs/retention';
import { ratesOf, settingsMessage } from './settingsMappers';

const MASKABLE = [
  'content_retention_days',
  'metadata_retention_days',
  'sender_rates',
  'help_text',
  'recordings_allowed',
  'recording_consent_required',
  'traffic_data_retention',
] as const;

/**
 * Changes the fields named in the update mask (all valid or none changed). A new content retention applies
 * at once: a sweep is queued in the same transaction, so content already past it goes now.
 */
export function makeUpdateMessagingSettings(
  deps: Pick<MessagingDeps, 'withTenant' | 'settings' | 'rates' | 'jobs' | 'sweepsQueued'>,
) {
  return async ({
    request,
    caller,
  }: RpcContext<messagingV1.UpdateMessagingSettingsRequest>): Promise<messagingV1.UpdateMessagingSettingsResponse> => {
    const unknown = request.updateMask.filter((field) => !(MASKABLE as readonly string[]).includes(field));
    if (unknown.length > 0 || request.updateMask.length === 0)
      throw invalidRequest([
        {
          field: 'updateMask',
          description: `names one or more of ${MASKABLE.join(', ')}${unknown.length ? `, not ${unknown.join(', ')}` : ''}`,
        },
      ]);
    const wanted = new Set(request.updateMask);
    const given: Partial<messagingV1.MessagingSettings> = request.settings ?? {};
    const patch: SettingsPatch = {};
    if (wanted.has('content_retention_days')) patch.contentRetentionDays = given.contentRetentionDays ?? null;
    // 0 is proto's unset: back to the default.
    if (wanted.has('metadata_retention_days'))
      patch.metadataRetentionDays = given.metadataRetentionDays || null;
    if (wanted.has('sender_rates')) patch.senderRates = ratesOf(given.senderRates);
    if (wanted.has('help_text')) patch.helpText = given.helpText ?? null;
    if (wanted.has('recordings_allowed')) patch.recordingsAllowed = given.recordingsAllowed ?? false;
    if (wanted.has('recording_consent_required'))
      patch.recordingConsentRequired = given.recordingConsentRequired ?? true;
    if (wanted.has('traffic_data_retention'))
      patch.trafficDataRetention = given.trafficDataRetention
        ? { days: given.trafficDataRetention.days, law: given.trafficDataRetention.law }
        : null;
    const violations = settingsViolations(patch);
    if (violations.length > 0) throw invalidRequest(violations);
    const settings = await deps.withTenant(caller.tenantId, async (tx) => {
      const updated = await deps.settings.update(tx, caller.tenantId, patch);
      if (patch.contentRetentionDays !== undefined) await queueContentSweep(deps, tx, caller.tenantId);
      return updated;
    });
    return { settings: settingsMessage(settings, deps.rates) };
  };
}
