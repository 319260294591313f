import { describe, expect, it } from '@jest/globals';
import { DEFAULT_SENDER_RATES } from './pacing';
import {
  DEFAULT_METADATA_RETENTION_DAYS,
  callRetentionDays,
  effectiveRates,
  metadataRetentionDays,
  platformRetention,
  settingsViolations,
} from './settings';

describe('settingsViolations', () => {
  it('accepts every bound and null (back to the default)', () => {
    expect(
      settingsViolations({
        contentRetentionDays: 0,
        metadataRetentionDays: 3650,
        senderRates: { long_code: 0.5, short_code: 1000 },
        helpText: 'x'.repeat(1600),
      }),
    ).toEqual([]);
    expect(
      settingsViolations({ contentRetentionDays: null, metadataRetentionDays: null, helpText: null }),
    ).toEqual([]);
  });

  it('names each field just past its bounds', () => {
    const fields = settingsViolations({
      contentRetentionDays: 3651,
      metadataRetentionDays: 0,
      senderRates: { long_code: 0, toll_free: 1000.5 },
      helpText: 'x'.repeat(1601),
    }).map((violation) => violation.field);
    expect(fields).toEqual([
      'contentRetentionDays',
      'metadataRetentionDays',
      'senderRates.long_code',
      'senderRates.toll_free',
      'helpText',
    ]);
  });

  it('refuses fractional days, a blank help text and a class that does not exist', () => {
    const fields = settingsViolations({
      contentRetentionDays: 1.5,
      helpText: ' \n ',
      senderRates: { premium: 5 } as never,
    }).map((violation) => violation.field);
    expect(fields).toEqual(['contentRetentionDays', 'senderRates.premium', 'helpText']);
  });
});

describe('settingsViolations: trafficDataRetention', () => {
  it('accepts 1 to 3650 days with a citation, and null (no obligation)', () => {
    expect(settingsViolations({ trafficDataRetention: { days: 1, law: 'x' } })).toEqual([]);
    expect(settingsViolations({ trafficDataRetention: { days: 3650, law: 'x'.repeat(200) } })).toEqual([]);
    expect(settingsViolations({ trafficDataRetention: null })).toEqual([]);
  });

  it('names the days and the law when they are out of bounds', () => {
    for (const [value, fields] of [
      [{ days: 0, law: 'Codice privacy art. 132' }, ['trafficDataRetention.days']],
      [{ days: 3651, law: 'Codice privacy art. 132' }, ['trafficDataRetention.days']],
      [{ days: 2.5, law: 'Codice privacy art. 132' }, ['trafficDataRetention.days']],
      [{ days: 2190, law: '  ' }, ['trafficDataRetention.law']],
      [{ days: 2190, law: 'x'.repeat(201) }, ['trafficDataRetention.law']],
      [{ days: -1, law: '' }, ['trafficDataRetention.days', 'trafficDataRetention.law']],
    ] as const)
      expect(settingsViolations({ trafficDataRetention: value }).map((v) => v.field)).toEqual(fields);
  });
});

describe('effectiveRates', () => {
  it("lays the tenant's overrides over the service's rates", () => {
    expect(effectiveRates(DEFAULT_SENDER_RATES, { toll_free: 10 })).toEqual({
      long_code: 1,
      toll_free: 10,
      short_code: 100,
    });
  });
});

describe('callRetentionDays', () => {
  const law = (days: number) => ({ days, law: 'a law (test)' });

  it('is the metadata retention without an obligation (the default when none is set)', () => {
    expect(callRetentionDays({ metadataRetentionDays: null, trafficDataRetention: null })).toBe(
      DEFAULT_METADATA_RETENTION_DAYS,
    );
    expect(callRetentionDays({ metadataRetentionDays: 30, trafficDataRetention: null })).toBe(30);
  });

  it("is the law's days when they are longer than the metadata retention", () => {
    expect(callRetentionDays({ metadataRetentionDays: 30, trafficDataRetention: law(400) })).toBe(400);
    expect(callRetentionDays({ metadataRetentionDays: null, trafficDataRetention: law(2190) })).toBe(2190);
  });

  it('never shortens the metadata retention', () => {
    expect(callRetentionDays({ metadataRetentionDays: 500, trafficDataRetention: law(400) })).toBe(500);
    expect(callRetentionDays({ metadataRetentionDays: null, trafficDataRetention: law(30) })).toBe(
      DEFAULT_METADATA_RETENTION_DAYS,
    );
  });

  it('leaves the metadata retention of messages alone', () => {
    expect(metadataRetentionDays({ metadataRetentionDays: null })).toBe(DEFAULT_METADATA_RETENTION_DAYS);
    expect(metadataRetentionDays({ metadataRetentionDays: 30 })).toBe(30);
  });
});

describe('platformRetention', () => {
  const tenant = (tenantId: string, metadataDays: number, callDays: number) => ({
    tenantId,
    metadataDays,
    callDays,
  });

  it('keeps the defaults when no tenant set a retention', () => {
    expect(platformRetention([])).toEqual({
      metadataDays: DEFAULT_METADATA_RETENTION_DAYS,
      callDays: DEFAULT_METADATA_RETENTION_DAYS,
      shorter: [],
    });
  });

  it('keeps calls as long as the longest obligation, messages as long as the longest metadata retention', () => {
    const italy = tenant('italy', 365, 2190);
    const long = tenant('long', 730, 730);
    const { metadataDays, callDays } = platformRetention([italy, long]);
    expect({ metadataDays, callDays }).toEqual({ metadataDays: 730, callDays: 2190 });
  });

  it('queues every tenant keeping messages or calls less than the longest', () => {
    const italy = tenant('italy', 365, 2190);
    // Calls for 400 days under a law, messages for 30: its messages go at 30, its calls at 400.
    const short = tenant('short', 30, 400);
    // Metadata at the longest, but calls less than the longest obligation.
    const sameMetadata = tenant('same', 365, 400);
    const longest = tenant('longest', 365, 2190);
    expect(platformRetention([italy, short, sameMetadata, longest]).shorter).toEqual([short, sameMetadata]);
  });
});
