import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eventually } from '../../../../tests/support/grpc';
import { apiOf, createTenantOn, userLogin, type Api } from '../../../../tests/support/http';
import { startPlatform, type Platform } from '../../../../tests/support/platform';

interface Consent {
  id: string;
  purpose: string;
  granted: boolean;
  method: string;
  basis?: string;
  overrides?: string;
}

/**
 * The Global Privacy Control signal (`Sec-GPC: 1`) as the gateway sees it, on sign-up and on a user's
 * authenticated requests, recorded in privacy's consent ledger: the whole platform, real HTTP, gRPC,
 * PostgreSQL and NATS.
 */
describe('gateway: the Global Privacy Control signal', () => {
  let platform: Platform;
  let api: Api;
  let ownerKey = '';
  const tenant = 'gpc-tenant';
  const gpc = { 'sec-gpc': '1' };

  async function signUp(name: string, headers: Record<string, string> = {}) {
    const email = `${name}@gpc.example`;
    const password = `${name}-long-password-1`;
    const account = await api(
      'POST',
      '/v1/accounts',
      ownerKey,
      { fullName: name, email, ageAttested: true, password },
      headers,
    );
    expect(account.status).toBe(201);
    return { id: String(account.body.id), token: await userLogin(platform, email, password) };
  }

  /** The subject's sale/share entries once the gateway's report (made beside the request) has landed. */
  const reported = (accountId: string, entries: number) =>
    eventually(`${entries} sale/share entries`, async () => {
      const found = await saleShare(accountId);
      if (found.history.length < entries) throw new Error(`${found.history.length} so far`);
      return found;
    });

  async function saleShare(accountId: string) {
    const ledger = await api('GET', `/v1/privacy/consents?accountId=${accountId}`, ownerKey);
    expect(ledger.status).toBe(200);
    const pick = (entries: unknown) =>
      (entries as Consent[]).filter((entry) => entry.purpose === 'sale_share');
    return { current: pick(ledger.body.current)[0], history: pick(ledger.body.history) };
  }

  beforeAll(async () => {
    platform = await startPlatform();
    api = apiOf(platform);
    ownerKey = await createTenantOn(platform, tenant);
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
  });

  describe('POST /v1/accounts with Sec-GPC: 1', () => {
    it('records an opt-out of sale/share for the new account; without the signal nothing is recorded', async () => {
      const ann = await signUp('ann', gpc);
      const { current, history } = await reported(ann.id, 1);
      expect(history).toHaveLength(1);
      expect(current).toMatchObject({ granted: false, method: 'gpc' });
      expect(current?.basis).toContain('Global Privacy Control');
      const bob = await signUp('bob');
      expect((await saleShare(bob.id)).history).toEqual([]);
    });
  });

  describe('an authenticated request with Sec-GPC: 1', () => {
    it("records the user's opt-out once, however many requests carry it, even at the same time", async () => {
      const carl = await signUp('carl');
      expect((await saleShare(carl.id)).history).toEqual([]);
      const answers = await Promise.all(
        Array.from({ length: 5 }, () => api('GET', '/v1/accounts/me', carl.token, undefined, gpc)),
      );
      expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200]);
      await reported(carl.id, 1);
      // Straight to the ledger, past the gateway's memory: privacy itself records the signal only once.
      await api(
        'POST',
        '/v1/privacy/consents',
        carl.token,
        { subject: { accountId: carl.id }, purpose: 'marketing_sms', granted: true, textVersion: 'sms-v1' },
        gpc,
      );
      await api('GET', '/v1/accounts/me', carl.token, undefined, gpc);
      const { current, history } = await saleShare(carl.id);
      expect(history).toHaveLength(1);
      expect(current).toMatchObject({ granted: false, method: 'gpc' });
    });

    it('is recorded once when requests carrying it reach the ledger at the same time', async () => {
      const fay = await signUp('fay');
      const purposes = ['marketing_email', 'marketing_sms', 'marketing_calls', 'cookies_performance'];
      const answers = await Promise.all(
        Array.from({ length: 12 }, (_, index) =>
          api(
            'POST',
            '/v1/privacy/consents',
            fay.token,
            {
              subject: { accountId: fay.id },
              purpose: purposes[index % purposes.length],
              granted: true,
              textVersion: 'v1',
            },
            gpc,
          ),
        ),
      );
      expect(answers.map((answer) => answer.status)).toEqual(answers.map(() => 201));
      const written = answers.flatMap((answer) => answer.body.consents as Consent[]);
      expect(written.filter((entry) => entry.method === 'gpc')).toHaveLength(1);
      expect((await saleShare(fay.id)).history).toHaveLength(1);
    });

    it('is not recorded again over an explicit opt-in the user made after it, and the current state says why the opt-in wins', async () => {
      const dora = await signUp('dora', gpc);
      await reported(dora.id, 1);
      const optIn = await api('POST', '/v1/privacy/consents', dora.token, {
        subject: { accountId: dora.id },
        purpose: 'sale_share',
        granted: true,
        method: 'form',
        textVersion: 'sale-v1',
      });
      expect(optIn.status).toBe(201);
      // The browser keeps sending the signal: it must not silently undo her choice.
      expect((await api('GET', '/v1/accounts/me', dora.token, undefined, gpc)).status).toBe(200);
      const withSignal = await api(
        'POST',
        '/v1/privacy/consents',
        dora.token,
        { subject: { accountId: dora.id }, purpose: 'marketing_sms', granted: true, textVersion: 'sms-v1' },
        gpc,
      );
      expect((withSignal.body.consents as Consent[]).map((entry) => entry.purpose)).toEqual([
        'marketing_sms',
      ]);
      const { current, history } = await saleShare(dora.id);
      expect(history.map((entry) => `${entry.method}:${entry.granted}`).sort()).toEqual([
        'form:true',
        'gpc:false',
      ]);
      expect(current).toMatchObject({ granted: true, method: 'form' });
      expect(current?.basis).toContain('after the Global Privacy Control opt-out');
    });

    it('wins over a later cookie-banner grant, which the ledger keeps and the current state names as overridden', async () => {
      const erin = await signUp('erin', gpc);
      await reported(erin.id, 1);
      const banner = await api('POST', '/v1/privacy/consents', erin.token, {
        subject: { accountId: erin.id },
        purpose: 'sale_share',
        granted: true,
        method: 'banner',
        textVersion: 'banner-v2',
      });
      const bannerId = (banner.body.consents as Consent[])[0]!.id;
      const { current, history } = await saleShare(erin.id);
      expect(history).toHaveLength(2);
      expect(current).toMatchObject({ granted: false, method: 'gpc', overrides: bannerId });
      expect(current?.basis).toContain('wins over');
    });
  });
});
