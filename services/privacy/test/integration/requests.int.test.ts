import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'drizzle-orm';
import { call, createClient, withTenant } from '@parley/kit';
import { identityV1, privacyV1 } from '@parley/proto';
import { eventually } from '../../../../tests/support/grpc';
import { as, asPlatform } from '../../../../tests/support/callers';
import { startPlatform, type Platform } from '../../../../tests/support/platform';
import { gatewayCall, userLogin, type CallArgs } from '../../../../tests/support/http';
import { readArchive } from '../../src/domain/archive';
import { Sealer } from '../../src/domain/sealing';

/**
 * Data-subject requests across the real platform: identity, the gateway and privacy itself take part, each
 * with its own database, over real NATS and gRPC, driven through the gateway's REST API.
 */
describe('privacy: data-subject requests across every participant', () => {
  let platform: Platform;
  let ownerKey = '';
  const tenant = 'rights';
  const people = {
    ann: { email: 'ann@example.com', password: 'ann-long-password-1', id: '' },
    bob: { email: 'bob@example.com', password: 'bob-long-password-2', id: '' },
    cat: { email: 'cat@example.com', password: 'cat-long-password-3', id: '' },
    dan: { email: 'dan@example.com', password: 'dan-long-password-4', id: '' },
    eve: { email: 'eve@example.com', password: 'eve-long-password-5', id: '' },
  };

  const api = (...args: CallArgs) => gatewayCall(platform, ...args);
  const login = (email: string, password: string) => userLogin(platform, email, password);

  async function settled(id: string): Promise<Record<string, unknown>> {
    return eventually(
      `request ${id} to settle`,
      async () => {
        const answer = await api('GET', `/v1/privacy/requests/${id}`, ownerKey);
        if (['in_progress', 'verified'].includes(String(answer.body.state)))
          throw new Error(`still ${String(answer.body.state)}`);
        return answer.body;
      },
      30_000,
    );
  }

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
        name: 'Rights Ltd',
        tenancyMode: identityV1.TenancyMode.TENANCY_MODE_POOLED,
        jurisdiction: identityV1.Jurisdiction.JURISDICTION_GDPR,
        minimumAge: 0,
      },
      await asPlatform(),
    );
    identity.close();
    ownerKey = created.ownerApiKey;
    for (const [name, person] of Object.entries(people)) {
      const account = await api('POST', '/v1/accounts', ownerKey, {
        fullName: `${name} Person`,
        email: person.email,
        ageAttested: true,
        password: person.password,
      });
      person.id = String(account.body.id);
      // Each logs in and calls the API (access log), and gives marketing consent (consent ledger).
      const token = await login(person.email, person.password);
      expect((await api('GET', '/v1/accounts/me', token)).status).toBe(200);
      await api('POST', '/v1/privacy/consents', token, {
        subject: { email: person.email },
        purpose: 'marketing_email',
        granted: true,
        textVersion: 'v3',
      });
    }
    await eventually('the access log to hold every call', async () => {
      const rows = await withTenant(platform.gateway.app.runtime.db, tenant, (tx) =>
        tx.execute<{ n: number }>(sql`select count(distinct principal)::int as n from access_log`),
      );
      if (rows.rows[0]!.n < 3) throw new Error('not yet');
    });
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
  });

  describe('access', () => {
    it("yields an archive whose manifest lists every participant, holding the subject's data and nothing of anyone else's", async () => {
      const submitted = await api('POST', '/v1/privacy/requests', ownerKey, {
        type: 'access',
        subject: { email: people.ann.email },
      });
      expect(submitted).toMatchObject({ status: 201, body: { verifiedBy: 'officer', jurisdiction: 'gdpr' } });
      const done = await settled(String(submitted.body.id));
      expect(done).toMatchObject({ state: 'completed', archiveReady: true, waitingFor: [] });
      const link = await api('GET', `/v1/privacy/requests/${String(submitted.body.id)}/archive`, ownerKey);
      const download = await fetch(`${platform.baseUrl}${String(link.body.url)}`, {
        headers: { authorization: `Bearer ${ownerKey}` },
      });
      expect(download.headers.get('content-type')).toContain('application/zip');
      const files = readArchive(Buffer.from(await download.arrayBuffer()));
      const manifest = JSON.parse(files.get('manifest.json')!.toString()) as {
        participants: { name: string; records: number }[];
        categories: { participant: string; category: string; records: number }[];
      };
      expect(manifest.participants.map((participant) => participant.name).sort()).toEqual([
        'billing',
        'gateway',
        'identity',
        'messaging',
        'numbering',
        'privacy',
      ]);
      const categories = Object.fromEntries(
        manifest.categories.map((entry) => [`${entry.participant}/${entry.category}`, entry.records]),
      );
      expect(categories).toMatchObject({ 'identity/account_profile': 1, 'privacy/consent_records': 1 });
      expect(categories['gateway/access_log']).toBeGreaterThanOrEqual(1);
      const everything = [...files.values()].map((file) => file.toString()).join('\n');
      expect(everything).toContain(people.ann.email);
      expect(files.get('data/identity/account_profile.csv')!.toString()).toContain('ann Person');
      for (const other of [people.bob, people.cat]) {
        expect(everything).not.toContain(other.email);
        expect(everything).not.toContain(other.id);
      }
      // The link is for the requester only, and expires: a stranger's key gets no link.
      const stranger = await api(
        'GET',
        `/v1/privacy/requests/${String(submitted.body.id)}/archive`,
        await login(people.cat.email, people.cat.password),
      );
      expect(stranger.status).toBe(403);
      expect((await api('GET', '/v1/privacy/archives/not-a-token', ownerKey)).status).toBe(404);
    });

    it("opens an archive only with the requester's credentials, and a rotated key keeps the request", async () => {
      const key = async (name: string) =>
        String(
          (await api('POST', '/v1/api-keys', ownerKey, { name, scopes: ['privacy:write', 'profile'] })).body
            .apiKey,
        );
      const officerKey = await key('officer before rotation');
      const submitted = await api('POST', '/v1/privacy/requests', officerKey, {
        type: 'portability',
        subject: { email: people.ann.email },
      });
      expect(submitted.status).toBe(201);
      const id = String(submitted.body.id);
      await settled(id);
      const { url } = (await api('GET', `/v1/privacy/requests/${id}/archive`, officerKey)).body;
      // The link alone opens nothing; someone else's credentials neither.
      expect((await api('GET', String(url))).status).toBe(401);
      const cat = await login(people.cat.email, people.cat.password);
      expect((await api('GET', String(url), cat)).status).toBe(403);
      expect((await api('GET', String(url), officerKey)).status).toBe(200);
      // The officer's key is rotated: the new one gets a fresh link and opens it; the old one is refused.
      const rotated = await key('officer after rotation');
      const listed = await api('GET', '/v1/api-keys', ownerKey);
      const old = (listed.body.apiKeys as { id: string; name: string }[]).find(
        (item) => item.name === 'officer before rotation',
      )!;
      expect((await api('DELETE', `/v1/api-keys/${old.id}`, ownerKey)).status).toBeLessThan(300);
      expect((await api('GET', String(url), officerKey)).status).toBe(401);
      const fresh = await api('GET', `/v1/privacy/requests/${id}/archive`, rotated);
      expect(fresh.status).toBe(200);
      const download = await fetch(`${platform.baseUrl}${String(fresh.body.url)}`, {
        headers: { authorization: `Bearer ${rotated}` },
      });
      expect(download.status).toBe(200);
      expect(readArchive(Buffer.from(await download.arrayBuffer())).has('manifest.json')).toBe(true);
    });
  });

  describe('self-service verification', () => {
    it('holds a request for someone else until the code sent to the subject is given', async () => {
      const annToken = await login(people.ann.email, people.ann.password);
      const submitted = await api('POST', '/v1/privacy/requests', annToken, {
        type: 'access',
        subject: { email: people.cat.email },
      });
      expect(submitted.body).toMatchObject({ state: 'verifying', verifiedBy: null, tasks: [] });
      const id = String(submitted.body.id);
      expect(
        (await api('POST', `/v1/privacy/requests/${id}/verify`, annToken, { code: '000000' })).body,
      ).toMatchObject({ status: 400, code: 'CODE_INVALID' });
      const mailbox = await api('GET', `/v1/privacy/dev/mailbox?to=${people.cat.email}`, ownerKey);
      const message = (mailbox.body.messages as { subject: string; text: string }[]).find(
        (entry) => entry.text.includes(id) && entry.subject.includes('code'),
      );
      const code = /is (\d{6})/.exec(message?.text ?? '')?.[1];
      expect(code).toMatch(/^\d{6}$/);
      expect((await api('POST', `/v1/privacy/requests/${id}/verify`, annToken, { code })).body).toMatchObject(
        { verifiedBy: 'code' },
      );
      expect(await settled(id)).toMatchObject({ state: 'completed' });
      // The subject's own request is verified by their session.
      const own = await api('POST', '/v1/privacy/requests', annToken, {
        type: 'objection',
        subject: { email: people.ann.email },
      });
      expect(own.body).toMatchObject({ verifiedBy: 'session' });
      expect(await settled(String(own.body.id))).toMatchObject({ state: 'completed' });
      const consents = await api('GET', `/v1/privacy/consents?email=${people.ann.email}`, ownerKey);
      expect(
        (consents.body.current as { purpose: string; granted: boolean }[]).find(
          (entry) => entry.purpose === 'marketing_email',
        ),
      ).toMatchObject({ granted: false });
    });
  });

  describe('legal hold', () => {
    it('keeps held data through an erasure, and every receipt says so', async () => {
      const hold = await api('POST', '/v1/privacy/legal-holds', ownerKey, {
        subject: { email: people.cat.email },
        reason: 'litigation 2026-17',
      });
      expect(hold.status).toBe(201);
      const submitted = await api('POST', '/v1/privacy/requests', ownerKey, {
        type: 'erasure',
        subject: { email: people.cat.email },
      });
      const done = await settled(String(submitted.body.id));
      expect(done.state).toBe('partially_completed');
      expect(String(done.reason)).toContain('litigation 2026-17');
      const receipts = (
        done.tasks as { receipt: { kept: number; deleted: number; keptBasis?: string }[] }[]
      ).flatMap((task) => task.receipt);
      expect(receipts.every((line) => line.deleted === 0)).toBe(true);
      expect(
        receipts
          .filter((line) => line.kept > 0)
          .every((line) => line.keptBasis?.includes('litigation 2026-17')),
      ).toBe(true);
      expect((await api('GET', `/v1/accounts/${people.cat.id}`, ownerKey)).status).toBe(200);
      await api('DELETE', `/v1/privacy/legal-holds/${String(hold.body.id)}`, ownerKey);
    });
  });

  describe('erasure', () => {
    it('completes with a receipt per participant, leaves the other subject alone, and is not undone by a late event', async () => {
      const bobUser = (
        await withTenant(platform.identity.app.runtime.db, tenant, (tx) =>
          tx.execute<{ idp_user_id: string }>(
            sql`select idp_user_id from accounts where id = ${people.bob.id}`,
          ),
        )
      ).rows[0]!.idp_user_id;
      const submitted = await api('POST', '/v1/privacy/requests', ownerKey, {
        type: 'erasure',
        subject: { accountId: people.bob.id },
      });
      const done = await settled(String(submitted.body.id));
      expect(done.state).toBe('completed');
      const tasks = done.tasks as {
        participant: string;
        state: string;
        receipt: { category: string; deleted: number; anonymised: number }[];
      }[];
      expect(tasks.map((task) => task.participant).sort()).toEqual([
        'billing',
        'gateway',
        'identity',
        'messaging',
        'numbering',
        'privacy',
      ]);
      const lines = Object.fromEntries(
        tasks.flatMap((task) => task.receipt.map((line) => [`${task.participant}/${line.category}`, line])),
      );
      expect(lines['identity/account_profile']).toMatchObject({ deleted: 1 });
      expect(lines['gateway/access_log']!.deleted).toBeGreaterThanOrEqual(1);
      expect(lines['privacy/consent_records']).toMatchObject({ deleted: 0, anonymised: 1 });

      expect((await api('GET', `/v1/accounts/${people.bob.id}`, ownerKey)).status).toBe(404);
      const bobLogs = await withTenant(platform.gateway.app.runtime.db, tenant, (tx) =>
        tx.execute<{ n: number }>(
          sql`select count(*)::int as n from access_log where principal = ${`user:${bobUser}`}`,
        ),
      );
      expect(bobLogs.rows[0]!.n).toBe(0);
      const consents = await withTenant(platform.backends.privacy.app.runtime.db, tenant, (tx) =>
        tx.execute<{ subject: string }>(sql`select subject::text from consents`),
      );
      expect(consents.rows.map((row) => row.subject).join()).not.toContain(people.bob.email);
      // Ann is untouched.
      expect((await api('GET', `/v1/accounts/${people.ann.id}`, ownerKey)).status).toBe(200);
      // A late login report for the erased user brings nothing back.
      const identity = createClient(identityV1.IdentityServiceClient, platform.identity.address, {
        serviceName: 'parley.identity.v1.IdentityService',
      });
      await call(
        identity,
        identity.recordLogin,
        { ip: '203.0.113.9', userAgent: 'late', at: new Date() },
        await as(tenant, ['profile'], `user:${bobUser}`),
      );
      identity.close();
      const left = await withTenant(platform.identity.app.runtime.db, tenant, (tx) =>
        tx.execute<{ n: number }>(
          sql`select count(*)::int as n from accounts where idp_user_id = ${bobUser}`,
        ),
      );
      expect(left.rows[0]!.n).toBe(0);
      const login = await fetch(`${platform.issuerBaseUrl}/realms/parley/protocol/openid-connect/token`, {
        method: 'POST',
        body: new URLSearchParams({
          grant_type: 'password',
          client_id: 'parley-cli',
          username: people.bob.email,
          password: people.bob.password,
        }),
      });
      expect(login.status).toBe(401);
    });

    it('destroys every archive and link about the subject, made before it, and says so in the receipt', async () => {
      const access = await api('POST', '/v1/privacy/requests', ownerKey, {
        type: 'access',
        subject: { email: people.dan.email },
      });
      await settled(String(access.body.id));
      const link = await api('GET', `/v1/privacy/requests/${String(access.body.id)}/archive`, ownerKey);
      expect((await api('GET', String(link.body.url), ownerKey)).status).toBe(200);
      const danToken = await login(people.dan.email, people.dan.password);
      expect((await api('GET', '/v1/accounts/me', danToken)).status).toBe(200);

      const erasure = await api('POST', '/v1/privacy/requests', ownerKey, {
        type: 'erasure',
        subject: { accountId: people.dan.id },
      });
      const done = await settled(String(erasure.body.id));
      const privacyTask = (
        done.tasks as { participant: string; receipt: { category: string; deleted: number }[] }[]
      ).find((task) => task.participant === 'privacy')!;
      expect(privacyTask.receipt.find((line) => line.category === 'export_archives')).toMatchObject({
        deleted: 1,
      });
      // The old link, a fresh link and the stored copy are all gone (so a restart brings nothing back).
      expect((await api('GET', String(link.body.url), ownerKey)).status).toBe(404);
      expect(
        (await api('GET', `/v1/privacy/requests/${String(access.body.id)}/archive`, ownerKey)).status,
      ).not.toBe(200);
      const stored = await withTenant(platform.backends.privacy.app.runtime.db, tenant, (tx) =>
        tx.execute<{ archives: number; links: number }>(
          sql`select (select count(*)::int from archives where request_id = ${String(access.body.id)}) as archives,
                     (select count(*)::int from archive_links where request_id = ${String(access.body.id)}) as links`,
        ),
      );
      expect(stored.rows[0]).toEqual({ archives: 0, links: 0 });
      // The erased subject's token, issued before, stops working: 401, not 404 for a missing account.
      const me = await eventually("the erased subject's token to be refused", async () => {
        const answer = await api('GET', '/v1/accounts/me', danToken);
        if (answer.status === 404 || answer.status === 200) throw new Error(`still ${answer.status}`);
        return answer;
      });
      expect(me).toMatchObject({ status: 401, body: { code: 'TOKEN_ACCOUNT_CLOSED' } });
    });

    it('waits for a participant that is down, says which, and completes once it is back, erasing once', async () => {
      const privacyClient = createClient(privacyV1.PrivacyServiceClient, platform.backends.privacy.address, {
        serviceName: 'parley.privacy.v1.PrivacyService',
      });
      const annUser = (
        await withTenant(platform.identity.app.runtime.db, tenant, (tx) =>
          tx.execute<{ idp_user_id: string }>(
            sql`select idp_user_id from accounts where id = ${people.ann.id}`,
          ),
        )
      ).rows[0]!.idp_user_id;
      await platform.gateway.halt();
      try {
        const { request } = await call(
          privacyClient,
          privacyClient.submitRequest,
          {
            type: 'erasure',
            subject: { accountId: people.ann.id, email: '', phone: '' },
            jurisdiction: '',
            changesJson: '',
          },
          await as(tenant, ['privacy:write', 'profile']),
        );
        const id = request!.id;
        const waiting = await eventually('identity and privacy to answer', async () => {
          const { request: current } = await call(
            privacyClient,
            privacyClient.getRequest,
            { id },
            await as(tenant, ['privacy:read']),
          );
          if (current!.waitingFor.length !== 1)
            throw new Error(`waiting for ${current!.waitingFor.join(',')}`);
          return current!;
        });
        expect(waiting).toMatchObject({ state: 'in_progress', waitingFor: ['gateway'] });
        await platform.gateway.restart();
        const finished = await eventually(
          'the gateway to answer after its restart',
          async () => {
            const { request: current } = await call(
              privacyClient,
              privacyClient.getRequest,
              { id },
              await as(tenant, ['privacy:read']),
            );
            if (current!.state !== 'completed') throw new Error(current!.state);
            return current!;
          },
          60_000,
        );
        const gatewayReceipt = finished.tasks.find((task) => task.participant === 'gateway')!.receipt[0]!;
        expect(Number(gatewayReceipt.deleted)).toBeGreaterThanOrEqual(1);
        const remaining = await withTenant(platform.gateway.app.runtime.db, tenant, (tx) =>
          tx.execute<{ n: number }>(
            sql`select count(*)::int as n from access_log where principal = ${`user:${annUser}`}`,
          ),
        );
        expect(remaining.rows[0]!.n).toBe(0);
        const receipts = await withTenant(platform.gateway.app.runtime.db, tenant, (tx) =>
          tx.execute<{ n: number }>(
            sql`select count(*)::int as n from kit_privacy_receipts where request_id = ${id}`,
          ),
        );
        expect(receipts.rows[0]!.n).toBe(1);
      } finally {
        privacyClient.close();
      }
    }, 120_000);
  });

  describe('an export overtaken by an erasure', () => {
    it('makes no archive of what it gathered before the erasure', async () => {
      const privacyClient = createClient(privacyV1.PrivacyServiceClient, platform.backends.privacy.address, {
        serviceName: 'parley.privacy.v1.PrivacyService',
      });
      const officer = () => as(tenant, ['privacy:write', 'profile']);
      const submit = async (type: string) =>
        (
          await call(
            privacyClient,
            privacyClient.submitRequest,
            {
              type,
              subject: { accountId: people.eve.id, email: '', phone: '' },
              jurisdiction: '',
              changesJson: '',
            },
            await officer(),
          )
        ).request!.id;
      const current = async (id: string) =>
        (await call(privacyClient, privacyClient.getRequest, { id }, await officer())).request!;
      // The gateway holds the access request back; the erasure overtakes it at privacy and identity.
      await platform.gateway.halt();
      try {
        const access = await submit('access');
        const erasure = await submit('erasure');
        await eventually('privacy to erase while the export waits', async () => {
          const privacyTask = (await current(erasure)).tasks.find((task) => task.participant === 'privacy');
          if (privacyTask?.state !== 'done') throw new Error('privacy has not erased yet');
        });
        await platform.gateway.restart();
        const finished = await eventually(
          'the export to finish',
          async () => {
            const request = await current(access);
            if (!['completed', 'partially_completed'].includes(request.state)) throw new Error(request.state);
            return request;
          },
          60_000,
        );
        expect(finished.archiveReady).toBe(false);
        const stored = await withTenant(platform.backends.privacy.app.runtime.db, tenant, (tx) =>
          tx.execute<{ n: number }>(
            sql`select (select count(*) from archives where request_id = ${access})::int
                     + (select count(*) from export_records where request_id = ${access})::int as n`,
          ),
        );
        expect(stored.rows[0]!.n).toBe(0);
      } finally {
        privacyClient.close();
      }
    }, 120_000);
  });

  describe('access at scale', () => {
    it('archives every one of 20,000 records, and a >4 MiB archive downloads through the gateway intact', async () => {
      const phone = '+447700900777';
      const messages = 10_000;
      // Bulk-seeded as messaging stores them: random bodies, so the archive stays over 4 MiB compressed.
      await withTenant(platform.backends.messaging.app.runtime.db, tenant, (tx) =>
        tx.execute(sql`
          insert into messages (tenant_id, id, direction, from_e164, to_e164, body, encoding, segments, status,
                                expires_at, created_at, updated_at)
          select ${tenant}, gen_random_uuid(), 'outbound', '+447700900001', ${phone},
                 (select string_agg(md5(random()::text || i || n), '') from generate_series(1, 10) n),
                 'GSM-7', 3, 'delivered', now() + interval '1 day', now() - i * interval '1 millisecond', now()
            from generate_series(1, ${messages}) i`),
      );
      const seeded = await withTenant(platform.backends.messaging.app.runtime.db, tenant, (tx) =>
        tx.execute<{ id: string; body: string }>(
          sql`select id::text, body from messages where to_e164 = ${phone}`,
        ),
      );
      expect(seeded.rows).toHaveLength(messages);

      const submitted = await api('POST', '/v1/privacy/requests', ownerKey, {
        type: 'access',
        subject: { phone },
      });
      expect(submitted.status).toBe(201);
      const id = String(submitted.body.id);
      const done = await settled(id);
      expect(done).toMatchObject({ state: 'completed', archiveReady: true });
      const link = await api('GET', `/v1/privacy/requests/${id}/archive`, ownerKey);
      const download = await fetch(`${platform.baseUrl}${String(link.body.url)}`, {
        headers: { authorization: `Bearer ${ownerKey}` },
      });
      expect(download.status).toBe(200);
      expect(download.headers.get('content-type')).toContain('application/zip');
      const zip = Buffer.from(await download.arrayBuffer());
      expect(zip.length).toBeGreaterThan(4 * 1024 * 1024);
      expect(Number(download.headers.get('content-length'))).toBe(zip.length);

      const files = readArchive(zip);
      const manifest = JSON.parse(files.get('manifest.json')!.toString()) as {
        request: { id: string };
        participants: { name: string; receipt: { category: string; exported: string | number }[] }[];
        categories: {
          participant: string;
          category: string;
          records: number;
          files: { path: string; sha256: string; bytes: number }[];
        }[];
      };
      expect(manifest.request.id).toBe(id);
      for (const entry of manifest.categories) {
        for (const file of entry.files) {
          const bytes = files.get(file.path)!;
          expect(bytes.length).toBe(file.bytes);
          expect(createHash('sha256').update(bytes).digest('hex')).toBe(file.sha256);
        }
      }
      const records = (category: string) =>
        manifest.categories.find((entry) => entry.participant === 'messaging' && entry.category === category)
          ?.records;
      expect(records('message_metadata')).toBe(messages);
      expect(records('message_content')).toBe(messages);
      // The receipt counts what privacy received, in the one read of messaging's data.
      const receipt = manifest.participants.find((entry) => entry.name === 'messaging')!.receipt;
      const counted = (category: string) =>
        Number(receipt.find((line) => line.category === category)?.exported);
      expect(counted('message_metadata')).toBe(messages);
      expect(counted('message_content')).toBe(messages);
      // Every message, exactly once, with its own body: the archive is complete and correct.
      const content = JSON.parse(files.get('data/messaging/message_content.json')!.toString()) as {
        messageId: string;
        body: string;
      }[];
      expect(new Map(content.map((record) => [record.messageId, record.body]))).toEqual(
        new Map(seeded.rows.map((row) => [row.id, row.body])),
      );
      const metadata = JSON.parse(files.get('data/messaging/message_metadata.json')!.toString()) as {
        messageId: string;
        to: string;
      }[];
      expect(new Set(metadata.map((record) => record.messageId)).size).toBe(messages);
      expect(metadata.every((record) => record.to === phone)).toBe(true);
      const csvLines = files.get('data/messaging/message_content.csv')!.toString().split('\r\n');
      expect(csvLines.filter(Boolean)).toHaveLength(messages + 1);

      // Stored in sealed chunks, and nothing of the gathered parts left behind.
      const stored = await withTenant(platform.backends.privacy.app.runtime.db, tenant, (tx) =>
        tx.execute<{ chunks: number; parts: number }>(
          sql`select (select count(*) from archive_chunks where request_id = ${id})::int as chunks,
                     (select count(*) from export_records where request_id = ${id})::int as parts`,
        ),
      );
      expect(stored.rows[0]!.chunks).toBeGreaterThan(1);
      expect(stored.rows[0]!.parts).toBe(0);
    }, 120_000);

    it('says archiveReady only once the request has completed, whatever archive row is found before', async () => {
      const privacyClient = createClient(privacyV1.PrivacyServiceClient, platform.backends.privacy.address, {
        serviceName: 'parley.privacy.v1.PrivacyService',
      });
      const officer = () => as(tenant, ['privacy:write', 'profile']);
      const current = async (id: string) =>
        (await call(privacyClient, privacyClient.getRequest, { id }, await officer())).request!;
      // The gateway (a participant) holds the export back while a stale archive row sits in the store.
      await platform.gateway.halt();
      try {
        const { request } = await call(
          privacyClient,
          privacyClient.submitRequest,
          {
            type: 'access',
            subject: { accountId: people.dan.id, email: '', phone: '' },
            jurisdiction: '',
            changesJson: '',
          },
          await officer(),
        );
        const id = request!.id;
        await eventually('every participant but the gateway to answer', async () => {
          const waiting = (await current(id)).waitingFor;
          if (waiting.join() !== 'gateway') throw new Error(`waiting for ${waiting.join(', ')}`);
        });
        await withTenant(platform.backends.privacy.app.runtime.db, tenant, (tx) =>
          tx.execute(sql`insert into archives (tenant_id, request_id, sealed, manifest, requester)
                         values (${tenant}, ${id}, decode('00', 'hex'), '{}', 'test')`),
        );
        expect(await current(id)).toMatchObject({ state: 'in_progress', archiveReady: false });
        await expect(
          call(privacyClient, privacyClient.createArchiveLink, { id }, await officer()),
        ).rejects.toMatchObject({ details: expect.stringContaining('no archive') });

        await platform.gateway.restart();
        const finished = await eventually(
          'the export to complete',
          async () => {
            const now = await current(id);
            if (now.state !== 'completed') throw new Error(now.state);
            return now;
          },
          60_000,
        );
        expect(finished.archiveReady).toBe(true);
        const link = await call(privacyClient, privacyClient.createArchiveLink, { id }, await officer());
        const download = async () => {
          const pieces: Buffer[] = [];
          const stream = privacyClient.downloadArchive({ token: link.token }, (await officer()).metadata);
          for await (const piece of stream as AsyncIterable<privacyV1.DownloadArchiveResponse>)
            pieces.push(Buffer.from(piece.chunk));
          return Buffer.concat(pieces);
        };
        const zip = await download();
        const manifest = JSON.parse(readArchive(zip).get('manifest.json')!.toString()) as {
          request: { id: string };
        };
        expect(manifest.request.id).toBe(id);
        // An archive sealed whole, as before archives were stored in chunks, still downloads as it was.
        const whole = new Sealer('test-archive-key-0123456789abcdefghijkl').seal(
          zip,
          `${tenant}:${id}:archive`,
        );
        await withTenant(platform.backends.privacy.app.runtime.db, tenant, async (tx) => {
          await tx.execute(sql`delete from archive_chunks where request_id = ${id}`);
          await tx.execute(
            sql`update archives set sealed = ${whole}, chunks = 0, bytes = 0 where request_id = ${id}`,
          );
        });
        expect((await download()).equals(zip)).toBe(true);
      } finally {
        privacyClient.close();
      }
    }, 120_000);
  });

  describe('rectification', () => {
    it('ends partially_completed naming the participant that refuses a value and why, with nothing of it applied anywhere', async () => {
      const fay = await api('POST', '/v1/accounts', ownerKey, {
        fullName: 'Fay Person',
        email: 'fay@example.com',
        ageAttested: true,
      });
      expect(fay.status).toBe(201);
      const fayId = String(fay.body.id);
      const taken = 'gil@example.com';
      expect(
        (
          await api('POST', '/v1/accounts', ownerKey, {
            fullName: 'Gil Person',
            email: taken,
            ageAttested: true,
          })
        ).status,
      ).toBe(201);
      expect(
        (
          await api('POST', '/v1/privacy/consents', ownerKey, {
            subject: { accountId: fayId },
            purpose: 'marketing_email',
            granted: true,
            textVersion: 'v3',
          })
        ).status,
      ).toBe(201);
      // A well-formed address (so it passes intake) that another account already uses: identity refuses
      // it, and the name corrected with it must not be applied alone.
      const submitted = await api('POST', '/v1/privacy/requests', ownerKey, {
        type: 'rectification',
        subject: { accountId: fayId },
        changes: { email: taken, fullName: 'Fay Renamed' },
      });
      expect(submitted.status).toBe(201);
      const id = String(submitted.body.id);
      const done = await settled(id);
      expect(done.state).toBe('partially_completed');
      expect(done.waitingFor).toEqual([]);
      const tasks = done.tasks as {
        participant: string;
        state: string;
        receipt: { category: string }[];
        failureCode: string | null;
        failureReason: string | null;
      }[];
      const byName = Object.fromEntries(tasks.map((task) => [task.participant, task]));
      expect(byName.identity).toMatchObject({
        state: 'failed',
        receipt: [],
        failureCode: 'ACCOUNT_EMAIL_TAKEN',
        failureReason: 'changes.email: another account uses it',
      });
      // The others answered as usual, and their receipts are there.
      for (const name of ['gateway', 'privacy']) {
        expect(byName[name]).toMatchObject({ state: 'done', failureCode: null, failureReason: null });
        expect(byName[name]!.receipt.length).toBeGreaterThan(0);
      }
      // Privacy's own records waited for the holder, which refused: nothing of it became privacy's copy.
      expect(
        (byName.privacy!.receipt as unknown as { corrected: number }[]).every((line) => line.corrected === 0),
      ).toBe(true);
      const ledger = await api('GET', `/v1/privacy/consents?accountId=${fayId}`, ownerKey);
      expect((ledger.body.history as { subject: unknown }[]).map((entry) => entry.subject)).toEqual([
        { accountId: fayId },
      ]);
      expect(JSON.stringify(ledger.body)).not.toContain(taken);
      expect(done.reason).toBe('identity could not carry it out: changes.email: another account uses it');
      // The reason and the failure say which field, never the refused value or the subject.
      expect(JSON.stringify([done.reason, byName.identity])).not.toMatch(/gil@example\.com|fay@example\.com/);
      // Identity changed nothing, the name included (all or nothing).
      expect((await api('GET', `/v1/accounts/${fayId}`, ownerKey)).body).toMatchObject({
        email: 'fay@example.com',
        fullName: 'Fay Person',
      });
      // The same through the privacy contract (GetRequest), and in the audit chain.
      const privacyClient = createClient(privacyV1.PrivacyServiceClient, platform.backends.privacy.address, {
        serviceName: 'parley.privacy.v1.PrivacyService',
      });
      const { request } = await call(privacyClient, privacyClient.getRequest, { id }, await as(tenant));
      privacyClient.close();
      expect(request).toMatchObject({ state: 'partially_completed', reason: done.reason });
      expect(request!.tasks.find((task) => task.participant === 'identity')).toMatchObject({
        state: 'failed',
        failureCode: 'ACCOUNT_EMAIL_TAKEN',
      });
      const audit = await api('GET', `/v1/privacy/audit?requestId=${id}`, ownerKey);
      expect((audit.body.entries as { action: string }[]).map((entry) => entry.action)).toEqual(
        expect.arrayContaining(['task.failed', 'request.completed']),
      );
    });
  });

  describe('clocks', () => {
    it('extends once with a reason told to the subject, and pausing moves the due date', async () => {
      const dave = await api('POST', '/v1/accounts', ownerKey, {
        fullName: 'Dave',
        email: 'dave@example.com',
        ageAttested: true,
      });
      const submitted = await api('POST', '/v1/privacy/requests', ownerKey, {
        type: 'rectification',
        subject: { accountId: String(dave.body.id) },
        changes: { fullName: 'David' },
      });
      const id = String(submitted.body.id);
      await settled(id);
      expect((await api('GET', `/v1/accounts/${String(dave.body.id)}`, ownerKey)).body).toMatchObject({
        fullName: 'David',
      });

      // Someone other than the subject asks: the request waits for the subject's code, so it stays open.
      const slow = await api(
        'POST',
        '/v1/privacy/requests',
        await login(people.cat.email, people.cat.password),
        {
          type: 'access',
          subject: { email: 'dave@example.com' },
        },
      );
      const slowId = String(slow.body.id);
      const due = new Date(String(slow.body.dueAt));
      expect(
        (await api('POST', `/v1/privacy/requests/${slowId}/extend`, ownerKey, { reason: '' })).status,
      ).toBe(400);
      const extended = await api('POST', `/v1/privacy/requests/${slowId}/extend`, ownerKey, {
        reason: 'the request is complex',
      });
      expect(extended.body).toMatchObject({ extended: true, extensionReason: 'the request is complex' });
      expect(new Date(String(extended.body.dueAt)).getTime()).toBeGreaterThan(
        due.getTime() + 55 * 86_400_000,
      );
      expect(
        (await api('POST', `/v1/privacy/requests/${slowId}/extend`, ownerKey, { reason: 'again' })).body,
      ).toMatchObject({ status: 422, code: 'ALREADY_EXTENDED' });
      const paused = await api('POST', `/v1/privacy/requests/${slowId}/pause`, ownerKey, {
        reason: 'waiting for ID',
      });
      expect(paused.body).toMatchObject({ paused: true });
      await new Promise((resolve) => setTimeout(resolve, 300));
      const resumed = await api('POST', `/v1/privacy/requests/${slowId}/resume`, ownerKey, {});
      expect(
        new Date(String(resumed.body.dueAt)).getTime() - new Date(String(extended.body.dueAt)).getTime(),
      ).toBeGreaterThanOrEqual(300);
      const mail = await api('GET', '/v1/privacy/dev/mailbox?to=dave@example.com', ownerKey);
      expect(
        (mail.body.messages as { text: string }[]).some((message) =>
          message.text.includes('the request is complex'),
        ),
      ).toBe(true);
      expect(
        (await api('POST', `/v1/privacy/requests/${slowId}/cancel`, ownerKey, { reason: 'withdrawn' })).body,
      ).toMatchObject({ state: 'cancelled' });
    });
  });

  describe('restriction', () => {
    it('stops the profile being changed, while it is still stored and readable', async () => {
      const eve = await api('POST', '/v1/accounts', ownerKey, {
        fullName: 'Eve',
        email: 'eve@example.com',
        ageAttested: true,
      });
      const eveId = String(eve.body.id);
      expect((await api('PATCH', `/v1/accounts/${eveId}`, ownerKey, { companyName: 'Before' })).status).toBe(
        200,
      );
      const submitted = await api('POST', '/v1/privacy/requests', ownerKey, {
        type: 'restriction',
        subject: { accountId: eveId },
      });
      const done = await settled(String(submitted.body.id));
      expect(done.state).toBe('completed');
      const identityReceipt = (
        done.tasks as { participant: string; receipt: { category: string; restricted: number }[] }[]
      ).find((task) => task.participant === 'identity');
      expect(identityReceipt?.receipt.find((line) => line.category === 'account_profile')?.restricted).toBe(
        1,
      );
      expect(
        (await api('PATCH', `/v1/accounts/${eveId}`, ownerKey, { companyName: 'After' })).body,
      ).toMatchObject({
        status: 422,
        code: 'PROCESSING_RESTRICTED',
      });
      expect((await api('GET', `/v1/accounts/${eveId}`, ownerKey)).body).toMatchObject({
        companyName: 'Before',
      });
    });
  });

  describe('data map, retention and breaches', () => {
    it('assembles the data map live from every participant', async () => {
      const map = await api('GET', '/v1/privacy/data-map', ownerKey);
      const entries = map.body.participants as {
        participant: string;
        reachable: boolean;
        categories: { id: string; legalBasis: string }[];
      }[];
      expect(entries.map((entry) => `${entry.participant}:${entry.reachable}`).sort()).toEqual([
        'billing:true',
        'gateway:true',
        'identity:true',
        'messaging:true',
        'numbering:true',
        'privacy:true',
      ]);
      expect(
        entries.find((entry) => entry.participant === 'identity')!.categories.map((category) => category.id),
      ).toEqual(['account_profile', 'login_facts']);
    });

    it('takes each default retention from what its participant declares, and shows it in the data map', async () => {
      const map = await api('GET', '/v1/privacy/data-map', ownerKey);
      const declared = Object.fromEntries(
        (
          map.body.participants as {
            participant: string;
            categories: { id: string; defaultRetentionDays: number }[];
          }[]
        ).flatMap((entry) =>
          entry.categories.map((category) => [
            `${entry.participant}/${category.id}`,
            category.defaultRetentionDays,
          ]),
        ),
      );
      expect(declared).toEqual({
        'billing/billing_profile': 2191,
        'billing/invoices': 2191,
        'billing/payment_methods': 180,
        'billing/usage_records': 2191,
        'gateway/access_log': 30,
        'identity/account_profile': 90,
        'identity/login_facts': 90,
        'messaging/call_recordings': 365,
        'messaging/call_records': 365,
        'messaging/message_content': 365,
        'messaging/message_forwarding': 365,
        'messaging/message_metadata': 365,
        'messaging/opt_outs': 0,
        'messaging/webhook_deliveries': 30,
        'numbering/forwarding_targets': 0,
        'numbering/managed_numbers': 0,
        'numbering/port_in_records': 1095,
        'privacy/consent_records': 1825,
        'privacy/privacy_requests': 0,
        'privacy/export_archives': 30,
      });
      const policies = await api('GET', '/v1/privacy/retention-policies', ownerKey);
      // Every category with a declared default, and nothing else: no table of services that do not exist.
      expect(
        (
          policies.body.policies as {
            participant: string;
            category: string;
            days: number;
            isDefault: boolean;
          }[]
        )
          .map((policy) => `${policy.participant}/${policy.category}:${policy.days}:${policy.isDefault}`)
          .sort(),
      ).toEqual([
        'billing/billing_profile:2191:true',
        'billing/invoices:2191:true',
        'billing/payment_methods:180:true',
        'billing/usage_records:2191:true',
        'gateway/access_log:30:true',
        'identity/account_profile:90:true',
        'identity/login_facts:90:true',
        'messaging/call_recordings:365:true',
        'messaging/call_records:365:true',
        'messaging/message_content:365:true',
        'messaging/message_forwarding:365:true',
        'messaging/message_metadata:365:true',
        'messaging/webhook_deliveries:30:true',
        'numbering/port_in_records:1095:true',
        'privacy/consent_records:1825:true',
        'privacy/export_archives:30:true',
      ]);
    });

    it("purges what is past the declared default or the tenant's own policy, and reports it", async () => {
      const old = (days: number, agent: string) =>
        withTenant(platform.gateway.app.runtime.db, tenant, (tx) =>
          tx.execute(sql`insert into access_log (tenant_id, principal, method, route, status, duration_ms, ip, user_agent, occurred_at)
                         values (${tenant}, 'user:old', 'GET', '/v1/tenant', 200, 1, '198.51.100.1', ${agent}, now() - make_interval(days => ${days}))`),
        );
      const agents = async () =>
        (
          await withTenant(platform.gateway.app.runtime.db, tenant, (tx) =>
            tx.execute<{ user_agent: string }>(
              sql`select user_agent from access_log where principal = 'user:old' order by user_agent`,
            ),
          )
        ).rows.map((row) => row.user_agent);
      await old(40, 'forty days');
      await old(20, 'twenty days');
      expect(
        (
          await api('PUT', '/v1/privacy/retention-policies', ownerKey, {
            participant: 'gateway',
            category: 'nope',
            days: 5,
          })
        ).status,
      ).toBe(400);
      const run = await api('POST', '/v1/privacy/retention-runs', ownerKey);
      expect(run.status).toBe(202);
      const report = await eventually('the retention run to finish', async () => {
        const runs = await api('GET', '/v1/privacy/retention-runs', ownerKey);
        const found = (
          runs.body.runs as {
            id: string;
            state: string;
            tasks: { participant: string; receipt: { deleted: number }[] }[];
          }[]
        ).find((entry) => entry.id === run.body.id);
        if (found?.state !== 'completed') throw new Error('running');
        return found;
      });
      const accessLog = report.tasks.find((task) => task.participant === 'gateway/access_log');
      expect(accessLog?.receipt[0]?.deleted).toBe(1);
      // The gateway's declared 30 days: the 40-day-old call went, the 20-day-old one stays.
      expect(await agents()).toEqual(['twenty days']);

      // The tenant's own policy overrides the declared default.
      const set = await api('PUT', '/v1/privacy/retention-policies', ownerKey, {
        participant: 'gateway',
        category: 'access_log',
        days: 10,
      });
      expect(set.body).toMatchObject({ days: 10, isDefault: false });
      const second = await api('POST', '/v1/privacy/retention-runs', ownerKey);
      await eventually('the second retention run to finish', async () => {
        const runs = await api('GET', '/v1/privacy/retention-runs', ownerKey);
        const found = (runs.body.runs as { id: string; state: string }[]).find(
          (entry) => entry.id === second.body.id,
        );
        if (found?.state !== 'completed') throw new Error('running');
      });
      expect(await agents()).toEqual([]);
    });

    it('tracks the 72-hour clock of a breach', async () => {
      const discovered = new Date(Date.now() - 71 * 3_600_000);
      const breach = await api('POST', '/v1/privacy/breaches', ownerKey, {
        description: 'laptop stolen',
        discoveredAt: discovered.toISOString(),
        categories: ['account_profile'],
        subjectsAffected: 12,
      });
      expect(breach.body).toMatchObject({
        status: 'due_soon',
        notifyBy: new Date(discovered.getTime() + 72 * 3_600_000).toISOString(),
      });
      expect(
        (
          await api('POST', '/v1/privacy/breaches', ownerKey, {
            description: 'x',
            discoveredAt: 'yesterday',
            categories: [],
            subjectsAffected: -1,
          })
        ).status,
      ).toBe(400);
      const notified = await api(
        'POST',
        `/v1/privacy/breaches/${String(breach.body.id)}/notified`,
        ownerKey,
        {},
      );
      expect(notified.body).toMatchObject({ status: 'notified' });
    });
  });

  describe('audit', () => {
    it('verifies the chain, and points at a row edited by hand', async () => {
      expect((await api('GET', '/v1/privacy/audit/verify', ownerKey)).body).toMatchObject({ valid: true });
      const entries: { id: string; action: string }[] = [];
      let pageToken = '';
      do {
        const page = await api(
          'GET',
          `/v1/privacy/audit?pageSize=100${pageToken ? `&pageToken=${encodeURIComponent(pageToken)}` : ''}`,
          ownerKey,
        );
        entries.push(...(page.body.entries as { id: string; action: string }[]));
        pageToken = String(page.body.nextPageToken ?? '');
      } while (pageToken);
      expect(entries.map((entry) => entry.action)).toEqual(
        expect.arrayContaining([
          'request.received',
          'request.dispatched',
          'task.receipt',
          'request.completed',
          'consent.recorded',
          'legal_hold.placed',
        ]),
      );
      const victim = entries[Math.floor(entries.length / 2)]!;
      await withTenant(platform.backends.privacy.app.runtime.db, tenant, (tx) =>
        tx.execute(sql`update audit_log set details = '{"tampered": true}' where id = ${Number(victim.id)}`),
      );
      expect((await api('GET', '/v1/privacy/audit/verify', ownerKey)).body).toEqual({
        valid: false,
        entries: expect.any(Number),
        firstBrokenEntry: victim.id,
      });
    });
  });
});
