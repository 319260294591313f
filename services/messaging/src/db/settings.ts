import { isNotNull, or, sql } from 'drizzle-orm';
import type { Transaction } from '@parley/kit';
import {
  DEFAULT_SETTINGS,
  callRetentionDays,
  metadataRetentionDays,
  type MessagingSettings,
  type SettingsPatch,
  type TenantRetention,
} from '../domain/settings';
import { messagingSettings, type MessagingSettingsRow } from './schema';

const toSettings = (row: MessagingSettingsRow | undefined): MessagingSettings =>
  row
    ? {
        contentRetentionDays: row.contentRetentionDays,
        metadataRetentionDays: row.metadataRetentionDays,
        senderRates: row.senderRates,
        helpText: row.helpText,
        recordingsAllowed: row.recordingsAllowed,
        recordingConsentRequired: row.recordingConsentRequired,
        trafficDataRetention:
          row.trafficDataRetentionDays !== null && row.trafficDataRetentionLaw !== null
            ? { days: row.trafficDataRetentionDays, law: row.trafficDataRetentionLaw }
            : null,
        updatedAt: row.updatedAt,
      }
    : DEFAULT_SETTINGS;

/**
 * Each tenant's messaging settings (every query in the tenant's transaction; row-level security walls it).
 * It also answers which HELP text a tenant set: `helpTexts.of(tx, tenantId)`.
 */
export class SettingsRepository {
  /** The tenant's settings; the defaults when it never set any. */
  async get(tx: Transaction): Promise<MessagingSettings> {
    const [row] = await tx.select().from(messagingSettings);
    return toSettings(row);
  }

  /** Applies the patch (absent fields kept, null back to the default) and answers the result. */
  async update(tx: Transaction, tenantId: string, patch: SettingsPatch): Promise<MessagingSettings> {
    const changes = {
      ...(patch.contentRetentionDays !== undefined
        ? { contentRetentionDays: patch.contentRetentionDays }
        : {}),
      ...(patch.metadataRetentionDays !== undefined
        ? { metadataRetentionDays: patch.metadataRetentionDays }
        : {}),
      ...(patch.senderRates !== undefined ? { senderRates: patch.senderRates } : {}),
      ...(patch.helpText !== undefined ? { helpText: patch.helpText } : {}),
      ...(patch.recordingsAllowed !== undefined ? { recordingsAllowed: patch.recordingsAllowed } : {}),
      ...(patch.recordingConsentRequired !== undefined
        ? { recordingConsentRequired: patch.recordingConsentRequired }
        : {}),
      ...(patch.trafficDataRetention !== undefined
        ? {
            trafficDataRetentionDays: patch.trafficDataRetention?.days ?? null,
            trafficDataRetentionLaw: patch.trafficDataRetention?.law ?? null,
          }
        : {}),
    };
    const [row] = await tx
      .insert(messagingSettings)
      .values({ tenantId, ...changes })
      .onConflictDoUpdate({
        target: messagingSettings.tenantId,
        set: { ...changes, updatedAt: sql`now()` },
      })
      .returning();
    return toSettings(row);
  }

  /** The tenant's answer to HELP and INFO; undefined when it set none (then MESSAGING_HELP_TEXT answers). */
  readonly helpTexts = {
    of: async (tx: Transaction, tenantId: string): Promise<string | undefined> => {
      const [row] = await tx
        .select({ helpText: messagingSettings.helpText })
        .from(messagingSettings)
        .where(sql`${messagingSettings.tenantId} = ${tenantId}`);
      return row?.helpText ?? undefined;
    },
  };

  /**
   * Each tenant's retentions that differ from the defaults, read as the platform (the policy
   * `platform_reads_settings`): days of message metadata and days of call records (domain/settings.ts);
   * tenants not listed keep the defaults.
   */
  async retentions(platformTx: Transaction): Promise<TenantRetention[]> {
    const rows = await platformTx
      .select()
      .from(messagingSettings)
      .where(
        or(
          isNotNull(messagingSettings.metadataRetentionDays),
          isNotNull(messagingSettings.trafficDataRetentionDays),
        ),
      );
    return rows.map((row) => {
      const settings = toSettings(row);
      return {
        tenantId: row.tenantId,
        metadataDays: metadataRetentionDays(settings),
        callDays: callRetentionDays(settings),
      };
    });
  }
}
