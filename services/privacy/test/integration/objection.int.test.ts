import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { isObjectedTo, matchingHashes, withTenant } from '@parley/kit';
import { eventually } from '../../../../tests/support/grpc';
import { TEST_SUBJECT_HASH_KEY } from '../../../../tests/support/callers';
import { apiOf, createTenantOn, userLogin, type Api } from '../../../../tests/support/http';
import { startPlatform, type Platform } from '../../../../tests/support/platform';

interface Task {
  participant: string;
  state: string;
  receipt: { category: string; stopped?: string[] }[];
}

/**
 * Objection, consent withdrawal, opt-out of sale/share and lifting a restriction across the real platform
 * (identity, the gateway and privacy as participants, over real gRPC, NATS and PostgreSQL); and a subject
 * reading their own requests.
 */
describe('privacy: objection, withdrawal, opt-out and restriction reach every participant', () => {
  let platform: Platform;
  let api: Api;
  let ownerKey = '';
  const tenant = 'objecting';
  const people = {
    ann: { email: 'ann@objecting.example', password: 'ann-long-password-1', id: '', token: '' },
    bob: { email: 'bob@objecting.example', password: 'bob-long-password-2', id: '', token: '' },
  };

  /** The request once every participant has answered, read with `credential`. */
  const settled = (id: string, credential = ownerKey) =>
    eventually(
      `request ${id} to settle`,
      async () => {
        const answer = await api('GET', `/v1/privacy/requests/${id}`, credential);
        if (answer.status !== 200) throw new Error(`answered ${answer.status}`);
        if (['in_progress', 'verified'].includes(String(answer.body.state)))
          throw new Error(`still ${String(answer.body.state)}`);
        return answer.body;
      },
      30_000,
    );

  /** What each participant's receipt says stopped, per category. */
  const stoppedBy = (request: Record<string, unknown>) =>
    Object.fromEntries(
      (request.tasks as Task[]).map((task) => [
        task.participant,
        Object.fromEntries(task.receipt.map((line) => [line.category, [...(line.stopped ?? [])].sort()])),
      ]),
    );

  const objectedAtIdentity = (person: { id: string; email: string }, purpose: string) =>
    withTenant(platform.identity.app.runtime.db, tenant, (tx) =>
      isObjectedTo(
        tx,
        tenant,
        matchingHashes(TEST_SUBJECT_HASH_KEY, tenant, {
          accountIds: [person.id],
          emails: [person.email],
          phones: [],
          userIds: [],
        }),
        purpose,
      ),
    );

  beforeAll(async () => {
    platform = await startPlatform();
    api = apiOf(platform);
    ownerKey = await createTenantOn(platform, tenant);
    for (const [name, person] of Object.entries(people)) {
      const account = await api('POST', '/v1/accounts', ownerKey, {
        fullName: `${name} Person`,
        email: person.email,
        ageAttested: true,
        password: person.password,
      });
      person.id = String(account.body.id);
      person.token = await userLogin(platform, person.email, person.password);
    }
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
  });

  describe('POST /v1/privacy/requests objection', () => {
    it('becomes a task every participant answers, the ones using data for marketing saying what stopped', async () => {
      const submitted = await api('POST', '/v1/privacy/requests', people.ann.token, {
        type: 'objection',
        subject: { email: people.ann.email },
      });
      expect(submitted).toMatchObject({ status: 201, body: { verifiedBy: 'session' } });
      // Ann reads her own request with her own session (no privacy:read).
      const done = await settled(String(submitted.body.id), people.ann.token);
      expect(done).toMatchObject({ state: 'completed', waitingFor: [] });
      expect(stoppedBy(done)).toEqual({
        identity: { account_profile: ['marketing_calls', 'marketing_email', 'marketing_sms'] },
        billing: {},
        gateway: {},
        messaging: {},
        numbering: {},
        privacy: {},
      });
      expect((done.tasks as Task[]).every((task) => task.state === 'done')).toBe(true);
      expect(await objectedAtIdentity(people.ann, 'marketing_email')).toBe(true);
      expect(await objectedAtIdentity(people.ann, 'sale_share')).toBe(false);
      expect(await objectedAtIdentity(people.bob, 'marketing_email')).toBe(false);
      // The ledger records the withdrawal too.
      const consents = await api('GET', `/v1/privacy/consents?email=${people.ann.email}`, ownerKey);
      expect(
        (consents.body.current as { purpose: string; granted: boolean }[])
          .filter((entry) => entry.purpose.startsWith('marketing_'))
          .map((entry) => entry.granted),
      ).toEqual([false, false, false]);
    });
  });

  describe('POST /v1/privacy/requests opt_out_sale and consent_withdrawal', () => {
    it('stops sale/share where the data is used for it, and a withdrawal stops every purpose that needs consent', async () => {
      const optOut = await api('POST', '/v1/privacy/requests', ownerKey, {
        type: 'opt_out_sale',
        subject: { accountId: people.bob.id },
      });
      expect(stoppedBy(await settled(String(optOut.body.id)))).toEqual({
        identity: { account_profile: ['sale_share'] },
        billing: {},
        gateway: {},
        messaging: {},
        numbering: {},
        privacy: {},
      });
      expect(await objectedAtIdentity(people.bob, 'sale_share')).toBe(true);
      expect(await objectedAtIdentity(people.bob, 'marketing_sms')).toBe(false);
      const withdrawal = await api('POST', '/v1/privacy/requests', ownerKey, {
        type: 'consent_withdrawal',
        subject: { accountId: people.bob.id },
      });
      const done = await settled(String(withdrawal.body.id));
      expect(done.state).toBe('completed');
      expect(stoppedBy(done).identity).toEqual({
        account_profile: ['marketing_calls', 'marketing_email', 'marketing_sms', 'sale_share'],
      });
    });
  });

  describe('GET /v1/privacy/requests/{id} by the subject', () => {
    it("answers the subject's own requests, even filed by an officer, and 404 for anyone else's", async () => {
      const filed = await api('POST', '/v1/privacy/requests', ownerKey, {
        type: 'opt_out_sale',
        subject: { email: people.bob.email },
      });
      const id = String(filed.body.id);
      expect((await api('GET', `/v1/privacy/requests/${id}`, people.bob.token)).status).toBe(200);
      expect((await api('GET', `/v1/privacy/requests/${id}`, people.ann.token)).body).toMatchObject({
        status: 404,
        code: 'PRIVACY_REQUEST_NOT_FOUND',
      });
      // The list shows a subject their own requests only; the officer sees every one.
      const annList = await api('GET', '/v1/privacy/requests', people.ann.token);
      const annIds = (annList.body.requests as { id: string; subject: unknown }[]).map((entry) => entry.id);
      expect(annIds.length).toBeGreaterThan(0);
      expect(annIds).not.toContain(id);
      const ownerList = await api('GET', '/v1/privacy/requests?pageSize=100', ownerKey);
      expect((ownerList.body.requests as { id: string }[]).map((entry) => entry.id)).toContain(id);
    });
  });

  describe('POST /v1/privacy/requests restriction_lift', () => {
    it('lifts a restriction: the profile can be changed again', async () => {
      const restricted = await api('POST', '/v1/privacy/requests', ownerKey, {
        type: 'restriction',
        subject: { accountId: people.ann.id },
      });
      expect((await settled(String(restricted.body.id))).state).toBe('completed');
      const patch = () => api('PATCH', `/v1/accounts/${people.ann.id}`, ownerKey, { companyName: 'Ann Co' });
      expect((await patch()).body).toMatchObject({ code: 'PROCESSING_RESTRICTED' });
      const lifted = await api('POST', '/v1/privacy/requests', ownerKey, {
        type: 'restriction_lift',
        subject: { accountId: people.ann.id },
      });
      expect(lifted.status).toBe(201);
      const done = await settled(String(lifted.body.id));
      expect(done.state).toBe('completed');
      expect((done.tasks as Task[]).map((task) => task.participant).sort()).toEqual([
        'billing',
        'gateway',
        'identity',
        'messaging',
        'numbering',
        'privacy',
      ]);
      expect((await patch()).status).toBe(200);
    });
  });
});
