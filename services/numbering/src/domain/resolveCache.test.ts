import { describe, expect, it } from '@jest/globals';
import { callbacksV1 } from '@parley/proto';
import { ResolveCache, type Resolution } from './resolveCache';

const resolution = (forwardingTarget: string): Resolution => ({
  numberId: 'n1',
  tenantId: 't1',
  accountId: '',
  capabilities: ['sms'],
  forwardingTarget,
  throughputClass: 'long_code',
  callerId: '',
  messagingWebhookUrl: '',
  messagingWebhookFormat: callbacksV1.CallbackFormat.CALLBACK_FORMAT_STANDARD_WEBHOOKS,
});

describe('ResolveCache', () => {
  it('answers from memory until the entry is invalidated or expires', () => {
    let now = 0;
    const cache = new ResolveCache(1_000, 10, () => now);
    cache.set('+14155550123', resolution('+1'), cache.mark());
    expect(cache.get('+14155550123')?.forwardingTarget).toBe('+1');
    cache.invalidate('+14155550123');
    expect(cache.get('+14155550123')).toBeUndefined();
    cache.set('+14155550123', null, cache.mark());
    expect(cache.get('+14155550123')).toBeNull();
    now = 1_000;
    expect(cache.get('+14155550123')).toBeUndefined();
  });

  it('does not store a value loaded before a change committed', () => {
    const cache = new ResolveCache(1_000);
    const generation = cache.mark();
    cache.invalidate('+14155550123'); // a change commits while the old value is being read
    cache.set('+14155550123', resolution('+old'), generation);
    expect(cache.get('+14155550123')).toBeUndefined();
  });
});
