// The call record routes through the gateway: a call the carrier simulator carries to a tenant's number
// reaches GET /v1/calls and GET /v1/calls/{id} with its forwarding target and caller IDs; tenants and scopes
// wall it off; the OpenAPI document names the scope and the problem codes.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { MessagingApp } from '../../../messaging/src/app';
import { eventually } from '../../../../tests/support/grpc';
import { buyNumberThroughGateway } from '../../../../tests/support/gatewayNumbers';
import { gatewayCall, type CallArgs } from '../../../../tests/support/http';
import { platformOperator, startPlatform, type Platform } from '../../../../tests/support/platform';

describe('gateway: /v1/calls', () => {
  let platform: Platform;
  let number: string;
  const keys: Record<string, string> = {};
  const api = (...args: CallArgs) => gatewayCall(platform, ...args);
  const caller = '+447700930001';

  beforeAll(async () => {
    platform = await startPlatform();
    const { identity, adminKey } = await platformOperator(platform);
    identity.close();
    for (const id of ['calls-a', 'calls-b']) {
      const created = await api('POST', '/v1/tenants', adminKey, {
        id,
        name: `Tenant ${id}`,
        tenancyMode: 'pooled',
        jurisdiction: 'uk_gdpr',
      });
      expect(created.status).toBe(201);
      keys[id] = String(created.body.apiKey);
    }
    const reader = await api('POST', '/v1/api-keys', keys['calls-a'], {
      name: 'messages only',
      scopes: ['messages:read'],
    });
    keys.messagesOnly = String(reader.body.apiKey);
    number = await buyNumberThroughGateway(api, keys['calls-a']!);
    const messaging = platform.backends.messaging.app as unknown as MessagingApp;
    await platform.carrier.placeCall({
      callbackUrl: `${messaging.cdrEndpoint()!.url}/carrier/cdrs`,
      direction: 'inbound',
      from: caller,
      to: number,
      forwardedTo: '+14155550196',
      callerId: number,
      durationSeconds: 61,
    });
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
  });

  it('is in the OpenAPI document with its scope and problem codes', async () => {
    const document = await api('GET', '/v1/openapi.json');
    const paths = document.body.paths as Record<
      string,
      Record<string, { description?: string; responses: Record<string, unknown> }>
    >;
    const list = paths['/v1/calls']!.get!;
    expect(list.description).toContain('Requires scope `calls:read`');
    expect(JSON.stringify(list.responses['400'])).toContain('MESSAGING_INVALID_REQUEST');
    expect(JSON.stringify(paths['/v1/calls/{id}']!.get!.responses['404'])).toContain('CALL_NOT_FOUND');
    expect(JSON.stringify(paths['/v1/calls/{id}/recordings']!.get!.responses['404'])).toContain(
      'CALL_NOT_FOUND',
    );
  });

  it('lists a forwarded call with its forwarding target and caller ID, and reads it alone', async () => {
    const listed = await eventually('the call record', async () => {
      const page = await api('GET', `/v1/calls?phoneNumber=${encodeURIComponent(caller)}`, keys['calls-a']);
      expect(page.status).toBe(200);
      const calls = page.body.calls as Record<string, unknown>[];
      if (calls.length === 0) throw new Error('not yet');
      return calls;
    });
    expect(listed).toEqual([
      expect.objectContaining({
        direction: 'inbound',
        from: caller,
        to: number,
        forwardedTo: '+14155550196',
        callerIdPresented: number,
        externalCallerId: caller,
        durationSeconds: 61,
        disposition: 'answered',
        // The number is the tenant's own, assigned to no account: null, not an empty id.
        accountId: null,
        recordings: 0,
      }),
    ]);
    const id = String(listed[0]!.id);
    const one = await api('GET', `/v1/calls/${id}`, keys['calls-a']);
    expect(one.status).toBe(200);
    expect(one.body).toEqual(listed[0]);
    const recordings = await api('GET', `/v1/calls/${id}/recordings`, keys['calls-a']);
    expect(recordings.status).toBe(200);
    expect(recordings.body).toEqual({ recordings: [] });

    // Another tenant sees nothing of it; a key without calls:read is refused.
    expect(
      (await api('GET', `/v1/calls?phoneNumber=${encodeURIComponent(caller)}`, keys['calls-b'])).body,
    ).toEqual({ calls: [], nextPageToken: '' });
    const elsewhere = await api('GET', `/v1/calls/${id}`, keys['calls-b']);
    expect(elsewhere.status).toBe(404);
    expect(elsewhere.body.code).toBe('CALL_NOT_FOUND');
    expect((await api('GET', '/v1/calls', keys.messagesOnly)).status).toBe(403);
  });

  it('names a bad filter with 400', async () => {
    const bad = await api('GET', '/v1/calls?disposition=hung_up', keys['calls-a']);
    expect(bad.status).toBe(400);
  });
});
