import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'drizzle-orm';
import { call, createClient, withTenant } from '@parley/kit';
import { identityV1 } from '@parley/proto';
import { asPlatform } from '../../../../tests/support/callers';
import { startPlatform, type Platform } from '../../../../tests/support/platform';
import { gatewayCall, userLogin, type CallArgs } from '../../../../tests/support/http';

/**
 * What reaches privacy from outside, through the gateway's REST API on the real platform: who may record
 * consent for whom, third-party requests (no enumeration, daily caps, atomic attempts, expiring codes) and
 * rectification values checked at intake.
 */
describe('privacy intake through the gateway', () => {
  let platform: Platform;
  let ownerKey = '';
  const tenant = 'intake';
  const people: Record<string, { email: string; password: string; id: string; token: string }> = {};

  const api = (...args: CallArgs) => gatewayCall(platform, ...args);
  const login = (email: string, password: string) => userLogin(platform, email, password);

  /** A member of the tenant (no privacy:write), signed up by the owner and logged in. */
  async function member(name: string) {
    const person = { email: `${name}@example.com`, password: `${name}-long-password-1`, id: '', token: '' };
    const account = await api('POST', '/v1/accounts', ownerKey, {
      fullName: `${name} Person`,
      email: person.email,
      ageAttested: true,
      password: person.password,
    });
    expect(account.status).toBe(201);
    person.id = String(account.body.id);
    person.token = await login(person.email, person.password);
    people[name] = person;
    return person;
  }

  const mailTo = async (address: string) =>
    (await api('GET', `/v1/privacy/dev/mailbox?to=${encodeURIComponent(address)}`, ownerKey)).body
      .messages as { subject: string; text: string }[];

  const codeFor = async (address: string, requestId: string) => {
    const message = (await mailTo(address)).find((entry) => entry.text.includes(requestId));
    return /is (\d{6})/.exec(message?.text ?? '')?.[1] ?? '';
  };

  const wrong = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

  beforeAll(async () => {
    platform = await startPlatform();
    const identity = createClient(identityV1.IdentityServiceClient, platform.identity.address, {
      serviceName: 'parley.identity.v1.IdentityService',
    });
    const created = await call(
      identity,
      identity.createTenant,
      {
        id: tenant,
        name: 'Intake Ltd',
        tenancyMode: identityV1.TenancyMode.TENANCY_MODE_POOLED,
        jurisdiction: identityV1.Jurisdiction.JURISDICTION_GDPR,
        minimumAge: 0,
      },
      await asPlatform(),
    );
    identity.close();
    ownerKey = created.ownerApiKey;
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
  });

  describe('POST /v1/privacy/consents', () => {
    it('lets a member record and withdraw only their own consent, and an officer anyone’s', async () => {
      const dan = await member('dan');
      const eve = await member('eve');
      const decide = (
        credential: string,
        subject: { accountId?: string; email?: string },
        granted: boolean,
      ) =>
        api('POST', '/v1/privacy/consents', credential, {
          subject,
          purpose: 'marketing_sms',
          granted,
          textVersion: 'v1',
        });
      // Their own, named by any of their identifiers.
      expect((await decide(dan.token, { email: dan.email }, true)).status).toBe(201);
      expect((await decide(dan.token, { accountId: dan.id }, false)).status).toBe(201);
      // Someone else's, or an address the tenant does not hold: refused, nothing written.
      for (const subject of [
        { accountId: eve.id },
        { email: eve.email },
        { email: 'stranger@example.org' },
      ]) {
        for (const granted of [true, false]) {
          expect(await decide(dan.token, subject, granted)).toMatchObject({
            status: 403,
            body: { code: 'CONSENT_NOT_OWN' },
          });
        }
      }
      // A key without privacy:write is nobody's self.
      const profileKey = String(
        (await api('POST', '/v1/api-keys', ownerKey, { name: 'app', scopes: ['profile'] })).body.apiKey,
      );
      expect(await decide(profileKey, { email: eve.email }, true)).toMatchObject({
        status: 403,
        body: { code: 'CONSENT_NOT_OWN' },
      });
      const eveLedger = await api('GET', `/v1/privacy/consents?accountId=${eve.id}`, ownerKey);
      expect(eveLedger.body).toMatchObject({ current: [], history: [] });
      // An officer (the owner's key holds privacy:write) records for anyone.
      expect((await decide(ownerKey, { accountId: eve.id }, true)).status).toBe(201);
      const danLedger = await api('GET', `/v1/privacy/consents?accountId=${dan.id}`, ownerKey);
      expect(danLedger.body.current).toEqual([
        expect.objectContaining({
          purpose: 'marketing_sms',
          granted: false,
          recordedBy: expect.stringMatching(/^user:/),
        }),
      ]);
    });
  });

  describe('POST /v1/privacy/requests by a third party', () => {
    it('answers alike for a subject the tenant holds and one it does not, and mails only the one it holds', async () => {
      const fay = await member('fay');
      const gus = await member('gus');
      const answers: Record<string, unknown>[] = [];
      for (const subject of [
        { email: gus.email },
        { email: 'nobody-here@example.org' },
        { phone: '+447700900999' },
      ]) {
        const answer = await api('POST', '/v1/privacy/requests', fay.token, { type: 'access', subject });
        expect(answer.status).toBe(201);
        answers.push(answer.body);
      }
      const shape = (body: Record<string, unknown>) => {
        const { id: _id, subject: _subject, receivedAt: _received, dueAt: _due, ...rest } = body;
        return rest;
      };
      for (const answer of answers) {
        expect(answer).toMatchObject({ state: 'verifying', verifiedBy: null, tasks: [] });
        expect(Object.keys(answer).sort()).toEqual(Object.keys(answers[0]!).sort());
        expect(shape(answer)).toEqual(shape(answers[0]!));
      }
      // The held subject gets one message (the code with the acknowledgement); the stranger gets none.
      const held = await mailTo(gus.email);
      expect(held.filter((entry) => entry.text.includes(String(answers[0]!.id)))).toHaveLength(1);
      expect(await mailTo('nobody-here@example.org')).toEqual([]);
      // Guessing answers the same for both.
      for (const answer of answers) {
        expect(
          await api('POST', `/v1/privacy/requests/${String(answer.id)}/verify`, fay.token, {
            code: '123456',
          }),
        ).toMatchObject({ status: 400, body: { code: 'CODE_INVALID' } });
      }
    });

    it('caps third-party requests about one subject per day, however it is named and whoever asks', async () => {
      const requesters = [await member('hal'), await member('ida'), await member('jon'), await member('kim')];
      const ann = await member('ann');
      const names = [{ email: ann.email }, { accountId: ann.id }, { email: ann.email.toUpperCase() }];
      for (const [index, subject] of names.entries()) {
        const answer = await api('POST', '/v1/privacy/requests', requesters[index]!.token, {
          type: 'access',
          subject,
        });
        expect(answer.status).toBe(201);
      }
      const refused = await api('POST', '/v1/privacy/requests', requesters[3]!.token, {
        type: 'erasure',
        subject: { email: ann.email },
      });
      expect(refused).toMatchObject({ status: 429, body: { code: 'PRIVACY_REQUEST_LIMIT' } });
      // Three codes went out, no fourth.
      expect((await mailTo(ann.email)).filter((entry) => entry.subject.includes('code'))).toHaveLength(3);
      // A subject the tenant does not hold is capped alike.
      for (const requester of requesters.slice(0, 3)) {
        expect(
          (
            await api('POST', '/v1/privacy/requests', requester.token, {
              type: 'access',
              subject: { email: 'ghost@example.org' },
            })
          ).status,
        ).toBe(201);
      }
      expect(
        await api('POST', '/v1/privacy/requests', requesters[3]!.token, {
          type: 'access',
          subject: { email: 'ghost@example.org' },
        }),
      ).toMatchObject({ status: 429, body: { code: 'PRIVACY_REQUEST_LIMIT' } });
    });

    it('caps the requests one requester files per day', async () => {
      const lou = await member('lou');
      for (let index = 0; index < 10; index += 1) {
        const answer = await api('POST', '/v1/privacy/requests', lou.token, {
          type: 'access',
          subject: { email: `someone-${index}@example.org` },
        });
        expect(answer.status).toBe(201);
      }
      expect(
        await api('POST', '/v1/privacy/requests', lou.token, {
          type: 'access',
          subject: { email: 'someone-else@example.org' },
        }),
      ).toMatchObject({ status: 429, body: { code: 'PRIVACY_REQUEST_LIMIT' } });
    });

    it('compares at most five guesses of parallel ones, and caps guesses per day across resubmissions', async () => {
      const max = await member('max');
      const ned = await member('ned');
      const submit = async () => {
        const answer = await api('POST', '/v1/privacy/requests', max.token, {
          type: 'access',
          subject: { email: ned.email },
        });
        expect(answer.status).toBe(201);
        const id = String(answer.body.id);
        return { id, code: await codeFor(ned.email, id) };
      };
      const first = await submit();
      expect(first.code).toMatch(/^\d{6}$/);
      const guesses = await Promise.all(
        Array.from({ length: 12 }, () =>
          api('POST', `/v1/privacy/requests/${first.id}/verify`, max.token, { code: wrong(first.code) }),
        ),
      );
      const codes = guesses.map((answer) => String(answer.body.code));
      expect(codes.filter((code) => code === 'CODE_INVALID')).toHaveLength(5);
      expect(codes.filter((code) => code === 'VERIFICATION_LOCKED')).toHaveLength(7);
      const audit = await api('GET', `/v1/privacy/audit?requestId=${first.id}`, ownerKey);
      expect(
        (audit.body.entries as { action: string }[]).filter(
          (entry) => entry.action === 'verification.failed',
        ),
      ).toHaveLength(5);
      // Even the right code is no longer compared.
      expect(
        await api('POST', `/v1/privacy/requests/${first.id}/verify`, max.token, { code: first.code }),
      ).toMatchObject({ status: 403, body: { code: 'VERIFICATION_LOCKED' } });
      // Resubmitting gives five more, up to the daily cap of ten guesses about the subject.
      const second = await submit();
      for (let index = 0; index < 5; index += 1) {
        expect(
          await api('POST', `/v1/privacy/requests/${second.id}/verify`, max.token, {
            code: wrong(second.code),
          }),
        ).toMatchObject({ status: 400, body: { code: 'CODE_INVALID' } });
      }
      const third = await submit();
      expect(
        await api('POST', `/v1/privacy/requests/${third.id}/verify`, max.token, { code: third.code }),
      ).toMatchObject({ status: 429, body: { code: 'VERIFICATION_LIMIT' } });
      expect((await api('GET', `/v1/privacy/requests/${third.id}`, ownerKey)).body).toMatchObject({
        state: 'verifying',
      });
    });

    it('refuses a code once it has expired', async () => {
      const oli = await member('oli');
      const pam = await member('pam');
      const answer = await api('POST', '/v1/privacy/requests', oli.token, {
        type: 'access',
        subject: { email: pam.email },
      });
      const id = String(answer.body.id);
      const code = await codeFor(pam.email, id);
      const db = platform.backends.privacy.app.runtime.db;
      const [stored] = (
        await withTenant(db, tenant, (tx) =>
          tx.execute<{ minutes: number }>(
            sql`select extract(epoch from expires_at - sent_at) / 60 as minutes from verification_codes where request_id = ${id}`,
          ),
        )
      ).rows;
      expect(Math.round(Number(stored!.minutes))).toBe(15);
      await withTenant(db, tenant, (tx) =>
        tx.execute(
          sql`update verification_codes set expires_at = now() - interval '1 second' where request_id = ${id}`,
        ),
      );
      expect(await api('POST', `/v1/privacy/requests/${id}/verify`, oli.token, { code })).toMatchObject({
        status: 422,
        body: { code: 'CODE_EXPIRED' },
      });
    });
  });

  describe('POST /v1/privacy/requests (rectification)', () => {
    it('refuses bad corrected values at intake, naming the field, and stores nothing', async () => {
      const quy = await member('quy');
      const before = await api('GET', '/v1/privacy/requests?type=rectification', ownerKey);
      const cases: [Record<string, unknown>, string][] = [
        [{ email: 'not-an-email' }, 'changes.email'],
        [{ fullName: 'x'.repeat(201) }, 'changes.fullName'],
        [{ fullName: 'y'.repeat(900_000) }, 'changes.fullName'],
        [{ fullName: { first: 'Quy' } }, 'changes.fullName'],
        [{ phone: '12' }, 'changes.phone'],
        [{ address: { street: 'High St', city: 'Leeds', country: 'XX' } }, 'changes.address.country'],
        [{ dateOfBirth: '2999-01-01' }, 'changes.dateOfBirth'],
        [{ password: 'hunter2hunter2' }, 'changes'],
        [{}, 'changes'],
      ];
      for (const [changes, field] of cases) {
        const answer = await api('POST', '/v1/privacy/requests', ownerKey, {
          type: 'rectification',
          subject: { accountId: quy.id },
          changes,
        });
        expect(answer.status).toBe(400);
        expect((answer.body.errors as { field: string }[]).map((error) => error.field)).toContain(field);
        expect(JSON.stringify(answer.body)).not.toMatch(/not-an-email|xxxxxxxx|hunter2/);
      }
      const after = await api('GET', '/v1/privacy/requests?type=rectification', ownerKey);
      expect(after.body.requests).toEqual(before.body.requests);
      expect(await mailTo(quy.email)).toEqual([]);
    });
  });
});
