// The messaging settings routes through the gateway: defaults, partial changes, every bad field named, scopes.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { gatewayCall, type CallArgs } from '../../../../tests/support/http';
import { platformOperator, startPlatform, type Platform } from '../../../../tests/support/platform';

describe('gateway: /v1/messaging/settings', () => {
  let platform: Platform;
  const keys: Record<string, string> = {};
  const api = (...args: CallArgs) => gatewayCall(platform, ...args);

  beforeAll(async () => {
    platform = await startPlatform();
    const { identity, adminKey } = await platformOperator(platform);
    identity.close();
    for (const id of ['settings-a', 'settings-b']) {
      const created = await api('POST', '/v1/tenants', adminKey, {
        id,
        name: `Tenant ${id}`,
        tenancyMode: 'pooled',
        jurisdiction: 'uk_gdpr',
      });
      expect(created.status).toBe(201);
      keys[id] = String(created.body.apiKey);
    }
    const sender = await api('POST', '/v1/api-keys', keys['settings-a'], {
      name: 'sender',
      scopes: ['messages:write'],
    });
    keys.sender = String(sender.body.apiKey);
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
  });

  it('is in the OpenAPI document with its scopes and problem codes', async () => {
    const document = await api('GET', '/v1/openapi.json');
    const paths = document.body.paths as Record<
      string,
      Record<string, { description?: string; responses: Record<string, unknown> }>
    >;
    const settings = paths['/v1/messaging/settings']!;
    expect(settings.get!.description).toContain('Requires scope `messages:read`');
    const patch = settings.patch!;
    expect(patch.description).toContain('Requires scope `messaging:settings`');
    expect(Object.keys(patch.responses)).toEqual(expect.arrayContaining(['200', '400', '403']));
    expect(JSON.stringify(patch.responses['400'])).toContain('MESSAGING_INVALID_REQUEST');
    expect(JSON.stringify(patch.responses['400'])).toContain('VALIDATION_FAILED');
  });

  it('answers the defaults, changes only the fields sent, restores a default with null, and walls tenants off', async () => {
    const before = await api('GET', '/v1/messaging/settings', keys['settings-a']);
    expect(before.status).toBe(200);
    expect(before.body).toMatchObject({
      contentRetentionDays: null,
      metadataRetentionDays: 365,
      senderRates: {},
      helpText: null,
      recordingsAllowed: false,
      recordingConsentRequired: true,
      trafficDataRetention: null,
      updatedAt: null,
    });
    expect(Object.keys(before.body.effectiveSenderRates as object).sort()).toEqual([
      'long_code',
      'short_code',
      'toll_free',
    ]);

    const changed = await api('PATCH', '/v1/messaging/settings', keys['settings-a'], {
      contentRetentionDays: 30,
      senderRates: { long_code: 2 },
      helpText: 'Acme: reply STOP to opt out',
    });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({
      contentRetentionDays: 30,
      metadataRetentionDays: 365,
      senderRates: { long_code: 2 },
      effectiveSenderRates: { long_code: 2 },
      helpText: 'Acme: reply STOP to opt out',
    });
    expect(typeof changed.body.updatedAt).toBe('string');

    const restored = await api('PATCH', '/v1/messaging/settings', keys['settings-a'], {
      contentRetentionDays: null,
      metadataRetentionDays: 90,
      recordingsAllowed: true,
    });
    expect(restored.body).toMatchObject({
      contentRetentionDays: null,
      metadataRetentionDays: 90,
      senderRates: { long_code: 2 },
      helpText: 'Acme: reply STOP to opt out',
      recordingsAllowed: true,
      recordingConsentRequired: true,
    });
    expect((await api('GET', '/v1/messaging/settings', keys['settings-b'])).body).toMatchObject({
      metadataRetentionDays: 365,
      helpText: null,
    });
  });

  it('sets and clears the obligation to keep traffic data, and names a bad one', async () => {
    const law = { days: 2190, law: 'IT D.Lgs. 196/2003 art. 132' };
    const set = await api('PATCH', '/v1/messaging/settings', keys['settings-a'], {
      trafficDataRetention: law,
    });
    expect(set.status).toBe(200);
    expect(set.body.trafficDataRetention).toEqual(law);
    expect(
      (await api('GET', '/v1/messaging/settings', keys['settings-a'])).body.trafficDataRetention,
    ).toEqual(law);
    const bad = await api('PATCH', '/v1/messaging/settings', keys['settings-a'], {
      trafficDataRetention: { days: 0, law: ' ' },
    });
    expect(bad.status).toBe(400);
    expect((bad.body.errors as { field: string }[]).map((error) => error.field).sort()).toEqual([
      'trafficDataRetention.days',
      'trafficDataRetention.law',
    ]);
    const cleared = await api('PATCH', '/v1/messaging/settings', keys['settings-a'], {
      trafficDataRetention: null,
    });
    expect(cleared.body.trafficDataRetention).toBeNull();
  });

  it('names every bad field with 400 and changes nothing', async () => {
    const bad = await api('PATCH', '/v1/messaging/settings', keys['settings-b'], {
      contentRetentionDays: 3651,
      metadataRetentionDays: 0,
      senderRates: { long_code: 0, short_code: 'fast' },
      helpText: '',
    });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('VALIDATION_FAILED');
    expect((bad.body.errors as { field: string }[]).map((error) => error.field).sort()).toEqual([
      'contentRetentionDays',
      'helpText',
      'metadataRetentionDays',
      'senderRates.long_code',
      'senderRates.short_code',
    ]);
    const unknown = await api('PATCH', '/v1/messaging/settings', keys['settings-b'], { retention: 3 });
    expect(unknown.status).toBe(400);
    const empty = await api('PATCH', '/v1/messaging/settings', keys['settings-b'], {});
    expect(empty.status).toBe(400);
    expect((await api('GET', '/v1/messaging/settings', keys['settings-b'])).body.updatedAt).toBeNull();
  });

  it('needs messaging:settings to change them (messages:write reads them only)', async () => {
    expect((await api('GET', '/v1/messaging/settings', keys.sender)).status).toBe(200);
    const refused = await api('PATCH', '/v1/messaging/settings', keys.sender, { contentRetentionDays: 3 });
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('SCOPE_MISSING');
  });
});
