import { describe, expect, it } from '@jest/globals';
import { Webhook } from 'standardwebhooks';
import { generateWebhookSecret, signWebhook, webhookSecretKey } from './signing';

const body = JSON.stringify({
  type: 'message.delivered',
  timestamp: '2026-12-01T10:00:00Z',
  data: { id: 'm1' },
});

describe('signWebhook', () => {
  it('signs so that the standardwebhooks library verifies the message', () => {
    const secret = generateWebhookSecret();
    const headers = signWebhook({ id: 'msg_1', timestamp: new Date(), body }, [secret]);
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
  });

  it('signs with every current secret during a rotation, and either one verifies', () => {
    const [old, fresh] = [generateWebhookSecret(), generateWebhookSecret()];
    const headers = signWebhook({ id: 'msg_2', timestamp: new Date(), body }, [old, fresh]);
    expect(headers['webhook-signature']!.split(' ')).toHaveLength(2);
    expect(new Webhook(old).verify(body, headers)).toBeTruthy();
    expect(new Webhook(fresh).verify(body, headers)).toBeTruthy();
    expect(() => new Webhook(generateWebhookSecret()).verify(body, headers)).toThrow(/No matching signature/);
  });

  it('binds the signature to the id, the timestamp and the body', () => {
    const secret = generateWebhookSecret();
    const headers = signWebhook({ id: 'msg_3', timestamp: new Date(), body }, [secret]);
    const verifier = new Webhook(secret);
    expect(() => verifier.verify(body + ' ', headers)).toThrow();
    expect(() => verifier.verify(body, { ...headers, 'webhook-id': 'msg_4' })).toThrow();
    const later = String(Number(headers['webhook-timestamp']) + 1);
    expect(() => verifier.verify(body, { ...headers, 'webhook-timestamp': later })).toThrow();
  });

  it('sends the timestamp in whole seconds', () => {
    const headers = signWebhook({ id: 'm', timestamp: new Date(1_700_000_000_999), body }, [
      generateWebhookSecret(),
    ]);
    expect(headers['webhook-timestamp']).toBe('1700000000');
  });

  it('refuses to sign without a secret', () => {
    expect(() => signWebhook({ id: 'm', timestamp: new Date(), body }, [])).toThrow(/at least one secret/);
  });
});

describe('webhookSecretKey', () => {
  it('reads a generated secret as 32 key bytes', () => {
    expect(webhookSecretKey(generateWebhookSecret())).toHaveLength(32);
  });

  it.each(['whsec_', 'whsec_c2hvcnQ=', 'sk_' + 'A'.repeat(44), 'whsec_!!!notbase64!!!' + 'A'.repeat(40)])(
    'refuses %s without repeating it',
    (secret) => {
      expect(() => webhookSecretKey(secret)).toThrow(/whsec_/);
      try {
        webhookSecretKey(secret);
      } catch (error) {
        if (secret.length > 6) expect((error as Error).message).not.toContain(secret.slice(6));
      }
    },
  );
});
