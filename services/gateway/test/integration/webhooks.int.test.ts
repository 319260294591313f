// The webhook routes through the gateway: secrets shown once, deliveries listed, parked and retried.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Webhook } from 'standardwebhooks';
import { withTenant } from '@parley/kit';
import { eventually } from '../../../../tests/support/grpc';
import { gatewayCall, type CallArgs } from '../../../../tests/support/http';
import { platformOperator, startPlatform, type Platform } from '../../../../tests/support/platform';
import { startWebhookReceiver, type WebhookReceiver } from '../../../../tests/support/webhookReceiver';
import type { MessagingApp } from '../../../messaging/src/app';

describe('gateway: webhooks', () => {
  let platform: Platform;
  let receiver: WebhookReceiver;
  const keys: Record<string, string> = {};
  const api = (...args: CallArgs) => gatewayCall(platform, ...args);

  beforeAll(async () => {
    platform = await startPlatform({
      messagingEnv: {
        WEBHOOK_RETRY_HOURS: '0.002',
        WEBHOOK_RETRY_BASE_SECONDS: '0.2',
        WEBHOOK_RETRY_MAX_SECONDS: '1',
      },
    });
    const { identity, adminKey } = await platformOperator(platform);
    identity.close();
    for (const id of ['hooks-a', 'hooks-b']) {
      const created = await api('POST', '/v1/tenants', adminKey, {
        id,
        name: `Tenant ${id}`,
        tenancyMode: 'pooled',
        jurisdiction: 'uk_gdpr',
      });
      expect(created.status).toBe(201);
      keys[id] = String(created.body.apiKey);
    }
    const reader = await api('POST', '/v1/api-keys', keys['hooks-a'], {
      name: 'reader',
      scopes: ['webhooks:read'],
    });
    keys.reader = String(reader.body.apiKey);
    receiver = await startWebhookReceiver(() => 500);
  }, 120_000);

  afterAll(async () => {
    await receiver?.close();
    await platform?.stop();
  });

  /** What messaging's send path will do: queue a webhook in the tenant's transaction. */
  const enqueue = (tenantId: string, url: string) => {
    const messaging = platform.backends.messaging.app as MessagingApp;
    return withTenant(messaging.runtime.db, tenantId, (tx) =>
      messaging.enqueueWebhook(tx, { tenantId, url, type: 'message.received', data: { messageId: 'm-7' } }),
    );
  };

  it('is in the OpenAPI document with its statuses, scopes and problem codes', async () => {
    const document = await api('GET', '/v1/openapi.json');
    const paths = document.body.paths as Record<
      string,
      Record<string, { description?: string; responses: Record<string, unknown> }>
    >;
    const create = paths['/v1/webhook-secrets']!.post!;
    expect(Object.keys(create.responses)).toEqual(expect.arrayContaining(['201', '403', '422']));
    expect(create.description).toContain('Requires scope `webhooks:write`');
    expect(JSON.stringify(create.responses['422'])).toContain('WEBHOOK_SECRET_LIMIT');
    expect(Object.keys(paths['/v1/webhook-secrets/{id}']!.delete!.responses)).toEqual(
      expect.arrayContaining(['200', '400', '404', '422']),
    );
    expect(Object.keys(paths['/v1/webhook-deliveries']!.get!.responses)).toEqual(
      expect.arrayContaining(['200', '400']),
    );
    const retry = paths['/v1/webhook-deliveries/{id}/retry']!.post!;
    expect(Object.keys(retry.responses)).toEqual(expect.arrayContaining(['202', '404', '422']));
    expect(JSON.stringify(retry.responses['422'])).toContain('WEBHOOK_DELIVERY_NOT_RETRYABLE');
  });

  it('creates a secret shown once, lists it without its value, and refuses to retire the only one', async () => {
    const created = await api('POST', '/v1/webhook-secrets', keys['hooks-a']);
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.any(String),
      createdAt: expect.any(String),
      signing: true,
      secret: expect.stringMatching(/^whsec_/),
    });
    const listed = await api('GET', '/v1/webhook-secrets', keys.reader);
    expect(listed.status).toBe(200);
    expect(listed.body.secrets).toEqual([
      { id: created.body.id, createdAt: created.body.createdAt, signing: true },
    ]);
    expect(JSON.stringify(listed.body)).not.toContain(String(created.body.secret).slice(6));

    const last = await api('DELETE', `/v1/webhook-secrets/${String(created.body.id)}`, keys['hooks-a']);
    expect(last.status).toBe(422);
    expect(last.body.code).toBe('WEBHOOK_SECRET_LAST');
    const other = await api('DELETE', `/v1/webhook-secrets/${String(created.body.id)}`, keys['hooks-b']);
    expect(other.status).toBe(404);
    expect(other.body.code).toBe('WEBHOOK_SECRET_NOT_FOUND');
    const noScope = await api('POST', '/v1/webhook-secrets', keys.reader);
    expect(noScope.status).toBe(403);
  });

  it('retires a secret with the overlap asked for; it keeps signing until then', async () => {
    const listed = await api('GET', '/v1/webhook-secrets', keys['hooks-a']);
    const old = (listed.body.secrets as { id: string }[])[0]!;
    const fresh = await api('POST', '/v1/webhook-secrets', keys['hooks-a']);
    const retired = await api('DELETE', `/v1/webhook-secrets/${old.id}?overlapSeconds=3600`, keys['hooks-a']);
    expect(retired.status).toBe(200);
    expect(retired.body).toEqual(expect.objectContaining({ id: old.id, signing: true }));
    const expiresAt = Date.parse(String(retired.body.expiresAt));
    expect(expiresAt - Date.parse(String(retired.body.retiredAt))).toBe(3_600_000);
    const bad = await api('DELETE', `/v1/webhook-secrets/${old.id}?overlapSeconds=-1`, keys['hooks-a']);
    expect(bad.status).toBe(400);
    expect(fresh.status).toBe(201);
  });

  it('parks a failing delivery, lists it under status=failed, and delivers it on retry', async () => {
    const secrets = await api('POST', '/v1/webhook-secrets', keys['hooks-a']);
    const row = await enqueue('hooks-a', receiver.url);
    const failed = await eventually(
      'the delivery to be parked',
      async () => {
        const page = await api('GET', '/v1/webhook-deliveries?status=failed', keys.reader);
        const found = (page.body.deliveries as { id: string }[]).find((d) => d.id === row.id);
        if (!found) throw new Error('not parked yet');
        return found;
      },
      30_000,
    );
    expect(failed).toEqual(
      expect.objectContaining({
        status: 'failed',
        lastStatusCode: 500,
        lastError: 'http_status',
        type: 'message.received',
      }),
    );
    const elsewhere = await api('POST', `/v1/webhook-deliveries/${row.id}/retry`, keys['hooks-b']);
    expect(elsewhere.status).toBe(404);
    expect(elsewhere.body.code).toBe('WEBHOOK_DELIVERY_NOT_FOUND');

    receiver.answer = () => 204;
    const retried = await api('POST', `/v1/webhook-deliveries/${row.id}/retry`, keys['hooks-a']);
    expect(retried.status).toBe(202);
    expect(retried.body.status).toBe('pending');
    await eventually('the retried delivery to arrive', async () => {
      const page = await api('GET', '/v1/webhook-deliveries?status=delivered', keys.reader);
      if (!(page.body.deliveries as { id: string }[]).some((d) => d.id === row.id))
        throw new Error('not yet');
    });
    const last = receiver.received[receiver.received.length - 1]!;
    expect(
      new Webhook(String(secrets.body.secret)).verify(last.body, last.headers as Record<string, string>),
    ).toEqual(expect.objectContaining({ type: 'message.received', data: { messageId: 'm-7' } }));

    const again = await api('POST', `/v1/webhook-deliveries/${row.id}/retry`, keys['hooks-a']);
    expect(again.status).toBe(422);
    expect(again.body.code).toBe('WEBHOOK_DELIVERY_NOT_RETRYABLE');
    const badFilter = await api('GET', '/v1/webhook-deliveries?status=lost', keys.reader);
    expect(badFilter.status).toBe(400);
    expect((await api('GET', '/v1/webhook-deliveries', keys['hooks-b'])).body.deliveries).toEqual([]);
  });
});
