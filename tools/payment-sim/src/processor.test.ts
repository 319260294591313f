import { describe, expect, it } from '@jest/globals';
import { Processor } from './processor';
import { Tally } from './tally';
import { WebhookSender } from './webhooks';

describe('payment-sim Processor', () => {
  describe('a 3-D Secure challenge nobody answers', () => {
    it('expires: the charge fails with authentication_expired and a charge.failed webhook', async () => {
      const tally = new Tally();
      const webhooks = new WebhookSender({
        secret: 'whsec_processor_test_0000',
        maxAttempts: 1,
        retryMs: 1,
        tally,
        onError: () => undefined,
      });
      const processor = new Processor({
        webhooks,
        tally,
        authenticateAfterMs: 0,
        actionExpiresAfterMs: 20,
        baseUrl: () => 'http://127.0.0.1:4020',
      });
      try {
        const token = processor.tokenise({
          number: '4000002500003155',
          expMonth: 12,
          expYear: 2099,
          cvc: '123',
        });
        const charge = processor.charge({ amount: 100, currency: 'usd', token: token.id, metadata: {} });
        expect(charge.status).toBe('requires_action');
        const expired = await new Promise<ReturnType<Processor['getCharge']>>((resolve) => {
          const poll = setInterval(() => {
            const current = processor.getCharge(charge.id);
            if (current.status === 'requires_action') return;
            clearInterval(poll);
            resolve(current);
          }, 5);
        });
        expect(expired).toMatchObject({ status: 'failed', failureCode: 'authentication_expired' });
        expect(expired.nextAction).toBeUndefined();
        expect(webhooks.list().map((event) => event.type)).toEqual([
          'charge.requires_action',
          'charge.failed',
        ]);
        // Too late for the cardholder now.
        expect(() => processor.authenticate(charge.id, 'approve')).toThrow('is failed');
      } finally {
        processor.close();
        webhooks.close();
      }
    });
  });
});
