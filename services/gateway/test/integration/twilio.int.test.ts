// The Twilio-compatible API, driven by the official `twilio` library unchanged: only its HTTP client is
// pointed at the gateway, and it is given the tenant's Account SID and auth token.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import { withTenant } from '@parley/kit';
import twilio from 'twilio';
import RequestClient from 'twilio/lib/base/RequestClient';
import RestException from 'twilio/lib/base/RestException';
import type { MessagingApp } from '../../../messaging/src/app';
import { eventually } from '../../../../tests/support/grpc';
import { gatewayCall, type CallArgs } from '../../../../tests/support/http';
import { platformOperator, startPlatform, type Platform } from '../../../../tests/support/platform';

/**
 * Twilio's libraries let an application supply its own HTTP client; this one sends every request (the
 * library's absolute api.twilio.com URLs, and the next_page_uri it follows) to the gateway instead, and
 * remembers the paths it asked for.
 */
class GatewayHttpClient extends RequestClient {
  readonly paths: string[] = [];

  constructor(private readonly baseUrl: string) {
    super();
  }

  override request<TData>(options: RequestClient.RequestOptions<TData>) {
    const uri = options.uri.replace(/^https:\/\/api\.twilio\.com/, this.baseUrl);
    this.paths.push(uri.slice(this.baseUrl.length));
    return super.request({ ...options, uri });
  }
}

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('gateway: the Twilio-compatible API', () => {
  let platform: Platform;
  const keys: Record<string, string> = {};
  const accounts: Record<string, { sid: string; token: string }> = {};
  const api = (...args: CallArgs) => gatewayCall(platform, ...args);
  let http: GatewayHttpClient;
  let client: twilio.Twilio;
  let ourNumber = '';
  let ourNumberSid = '';
  let adminKey = '';

  /** A form-encoded request as any HTTP client would send it, with Basic credentials. */
  const raw = async (
    method: string,
    path: string,
    credentials: { user: string; password: string },
    form?: Record<string, string>,
    headers: Record<string, string> = {},
  ) => {
    const response = await fetch(`${platform.baseUrl}${path}`, {
      method,
      headers: { authorization: basic(credentials.user, credentials.password), ...headers },
      body: form ? new URLSearchParams(form) : undefined,
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
  };

  beforeAll(async () => {
    // Billing authorises every send, so a prepaid tenant without balance is refused as it would be live.
    platform = await startPlatform({ billingAuthorises: true });
    const operator = await platformOperator(platform);
    operator.identity.close();
    adminKey = operator.adminKey;
    for (const id of ['twilio-a', 'twilio-b']) {
      const created = await api('POST', '/v1/tenants', adminKey, {
        id,
        name: `Tenant ${id}`,
        tenancyMode: 'pooled',
        jurisdiction: 'ccpa',
      });
      expect(created.status).toBe(201);
      keys[id] = String(created.body.apiKey);
      const rotated = await api('POST', '/v1/tenant/twilio-auth-token', keys[id]);
      expect(rotated.status).toBe(201);
      accounts[id] = { sid: String(rotated.body.accountSid), token: String(rotated.body.authToken) };
    }
    http = new GatewayHttpClient(platform.baseUrl);
    client = twilio(accounts['twilio-a']!.sid, accounts['twilio-a']!.token, { httpClient: http });
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
  });

  describe('credentials', () => {
    it("shows the tenant's Account SID, and its auth token once, stored sealed", async () => {
      const tenant = await api('GET', '/v1/tenant', keys['twilio-a']);
      expect(tenant.body.twilioAccountSid).toBe(accounts['twilio-a']!.sid);
      expect(accounts['twilio-a']!.sid).toMatch(/^AC[0-9a-f]{32}$/);
      expect(accounts['twilio-a']!.token).toMatch(/^[0-9a-f]{32}$/);
      expect(accounts['twilio-a']!.sid).not.toBe(accounts['twilio-b']!.sid);
      const stored = await withTenant(platform.identity.app.runtime.db, 'twilio-a', (tx) =>
        tx.execute<{ sealed: Buffer }>(sql`select sealed_token as sealed from twilio_auth_tokens`),
      );
      expect(stored.rows).toHaveLength(1);
      for (const row of stored.rows) {
        expect(row.sealed.toString('latin1')).not.toContain(accounts['twilio-a']!.token);
        expect(row.sealed.toString('hex')).not.toContain(accounts['twilio-a']!.token);
      }
    });

    it('refuses a wrong auth token with 20003, as the library reports it', async () => {
      const wrong = twilio(accounts['twilio-a']!.sid, '0'.repeat(32), { httpClient: http });
      const failure = await wrong.messages.list({ limit: 1 }).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(RestException);
      expect(failure).toMatchObject({ status: 401, code: 20003 });
    });

    it("walls tenants: another tenant's credentials on this account's path find nothing", async () => {
      const other = await raw('GET', `/2010-04-01/Accounts/${accounts['twilio-a']!.sid}/Messages.json`, {
        user: accounts['twilio-b']!.sid,
        password: accounts['twilio-b']!.token,
      });
      expect(other.status).toBe(404);
      expect(other.body).toMatchObject({ code: 20404, status: 404 });
      expect(other.body.more_info).toBe('https://www.twilio.com/docs/errors/20404');
    });

    it('keeps the previous token working through its overlap after a rotation, and only it', async () => {
      const first = await api('POST', '/v1/tenant/twilio-auth-token', keys['twilio-b']);
      const second = await api('POST', '/v1/tenant/twilio-auth-token', keys['twilio-b']);
      expect(second.body.previousExpiresAt).toEqual(expect.any(String));
      const path = `/2010-04-01/Accounts/${accounts['twilio-b']!.sid}/Messages.json`;
      const as = (token: string) => raw('GET', path, { user: accounts['twilio-b']!.sid, password: token });
      expect((await as(String(second.body.authToken))).status).toBe(200);
      expect((await as(String(first.body.authToken))).status).toBe(200);
      // The token before those two stopped when the second rotation happened.
      expect((await as(accounts['twilio-b']!.token)).status).toBe(401);
    });
  });

  describe('numbers', () => {
    it('searches available numbers with AreaCode and SmsEnabled', async () => {
      const found = await client
        .availablePhoneNumbers('US')
        .local.list({ areaCode: 415, smsEnabled: true, limit: 20 });
      expect(found.length).toBeGreaterThan(0);
      for (const number of found) {
        expect(number.phoneNumber).toMatch(/^\+1415/);
        expect(number.capabilities).toMatchObject({ SMS: true });
      }
      ourNumber = found.find((number) => !/99[89]\d$/.test(number.phoneNumber))!.phoneNumber;
    });

    it('buys one, which is then listed among the incoming numbers', async () => {
      const bought = await client.incomingPhoneNumbers.create({
        phoneNumber: ourNumber,
        friendlyName: 'Support',
      });
      expect(bought.sid).toMatch(/^PN[0-9a-f]{32}$/);
      expect(bought).toMatchObject({
        phoneNumber: ourNumber,
        friendlyName: 'Support',
        accountSid: accounts['twilio-a']!.sid,
      });
      ourNumberSid = bought.sid;
      const listed = await client.incomingPhoneNumbers.list({ phoneNumber: ourNumber });
      expect(listed.map((number) => number.sid)).toEqual([bought.sid]);
      const updated = await client
        .incomingPhoneNumbers(bought.sid)
        .update({ smsUrl: 'https://example.com/sms' });
      expect(updated.smsUrl).toBe('https://example.com/sms');
    });
  });

  describe('messages', () => {
    const recipient = '+447911123456';

    it('sends a message and fetches it until it is delivered', async () => {
      const sent = await client.messages.create({
        from: ourNumber,
        to: recipient,
        body: 'Hello from Twilio code',
      });
      expect(sent.sid).toMatch(/^SM[0-9a-f]{32}$/);
      expect(sent).toMatchObject({
        status: 'queued',
        numSegments: '1',
        direction: 'outbound-api',
        to: recipient,
      });
      const delivered = await eventually(
        'the message to be delivered',
        async () => {
          const fetched = await client.messages(sent.sid).fetch();
          if (fetched.status !== 'delivered') throw new Error(`still ${fetched.status}`);
          return fetched;
        },
        60_000,
      );
      expect(delivered).toMatchObject({ errorCode: null, from: ourNumber, body: 'Hello from Twilio code' });
    }, 90_000);

    it('lists messages across pages by following next_page_uri', async () => {
      for (const n of [1, 2, 3])
        await client.messages.create({ from: ourNumber, to: recipient, body: `page ${n}` });
      http.paths.length = 0;
      const listed = await client.messages.list({ from: ourNumber, pageSize: 2 });
      expect(listed.length).toBeGreaterThanOrEqual(4);
      expect(new Set(listed.map((message) => message.sid)).size).toBe(listed.length);
      // The library followed at least one next_page_uri the gateway gave it.
      expect(http.paths.filter((path) => path.includes('PageToken=')).length).toBeGreaterThanOrEqual(1);
    });

    it('refuses an invalid To with RestException 21211', async () => {
      const failure = await client.messages
        .create({ from: ourNumber, to: '12345', body: 'nope' })
        .catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(RestException);
      expect(failure).toMatchObject({
        status: 400,
        code: 21211,
        moreInfo: 'https://www.twilio.com/docs/errors/21211',
      });
    });

    it('refuses a From that is not a number of the account with 21606', async () => {
      const failure = await client.messages
        .create({ from: '+14155550000', to: recipient, body: 'nope' })
        .catch((error: unknown) => error);
      expect(failure).toMatchObject({ status: 400, code: 21606 });
    });

    it('refuses a send a prepaid balance cannot cover with 20005, and sends again once postpaid', async () => {
      const setMode = (billingMode: 'prepaid' | 'postpaid') =>
        api('PATCH', '/v1/admin/tenants/twilio-a/wallet', adminKey, { billingMode, creditLimitMinor: '0' });
      expect((await setMode('prepaid')).status).toBe(200);
      try {
        // The number's rent and the messages above took the balance below zero; no credit limit is left.
        // The mode reaches billing's authoriser by a broadcast: one send a moment may still pass before it.
        const failure = await eventually('the prepaid mode to reach billing', async () => {
          await new Promise((resolve) => setTimeout(resolve, 250));
          const answer = await client.messages
            .create({ from: ourNumber, to: recipient, body: 'no funds' })
            .then(
              () => undefined,
              (error: unknown) => error,
            );
          if (!answer) throw new Error('the send was still allowed');
          return answer;
        });
        expect(failure).toBeInstanceOf(RestException);
        expect(failure).toMatchObject({
          status: 400,
          code: 20005,
          moreInfo: 'https://www.twilio.com/docs/errors/20005',
        });
      } finally {
        expect((await setMode('postpaid')).status).toBe(200);
      }
      await eventually('postpaid to reach billing', () =>
        client.messages.create({ from: ourNumber, to: recipient, body: 'invoiced later' }),
      );
    });

    it('sends a retried create once: I-Twilio-Idempotency-Token and Idempotency-Key', async () => {
      const path = `/2010-04-01/Accounts/${accounts['twilio-a']!.sid}/Messages.json`;
      const credentials = { user: accounts['twilio-a']!.sid, password: accounts['twilio-a']!.token };
      for (const header of ['I-Twilio-Idempotency-Token', 'Idempotency-Key']) {
        const body = `once ${header} ${randomUUID()}`;
        const key = randomUUID();
        const form = { From: ourNumber, To: recipient, Body: body };
        const first = await raw('POST', path, credentials, form, { [header]: key });
        const again = await raw('POST', path, credentials, form, { [header]: key });
        expect(first.status).toBe(201);
        expect(again).toEqual(first);
        const listed = await client.messages.list({ from: ourNumber, limit: 200 });
        expect(listed.filter((message) => message.body === body)).toHaveLength(1);
      }
    });

    it("does not show another tenant's message", async () => {
      const [mine] = await client.messages.list({ limit: 1 });
      const answer = await raw(
        'GET',
        `/2010-04-01/Accounts/${accounts['twilio-b']!.sid}/Messages/${mine!.sid}.json`,
        { user: accounts['twilio-b']!.sid, password: await rotatedTokenOf('twilio-b') },
      );
      expect(answer.status).toBe(404);
      expect(answer.body).toMatchObject({ code: 20404 });
    });

    it('accepts an API key as SK SID and secret, keeping the scopes of the key', async () => {
      const created = await api('POST', '/v1/api-keys', keys['twilio-a'], {
        name: 'reader',
        scopes: ['messages:read'],
      });
      expect(created.status).toBe(201);
      const keySid = `SK${String(created.body.id).replace(/-/g, '')}`;
      const reader = twilio(keySid, String(created.body.apiKey), {
        accountSid: accounts['twilio-a']!.sid,
        httpClient: http,
      });
      expect((await reader.messages.list({ limit: 1 })).length).toBe(1);
      const failure = await reader.messages
        .create({ from: ourNumber, to: recipient, body: 'not allowed' })
        .catch((error: unknown) => error);
      expect(failure).toMatchObject({ status: 403, code: 20403 });
    });
  });

  describe('callbacks, posted as Twilio posts them', () => {
    interface Received {
      url: string;
      headers: IncomingHttpHeaders;
      params: Record<string, string>;
    }
    const received: Received[] = [];
    let receiver: Server;
    let receiverUrl = '';

    beforeAll(async () => {
      receiver = createServer((request, response) => {
        let body = '';
        request.setEncoding('utf8');
        request.on('data', (chunk: string) => (body += chunk));
        request.on('end', () => {
          received.push({
            url: `${receiverUrl}${request.url}`,
            headers: request.headers,
            params: Object.fromEntries(new URLSearchParams(body)),
          });
          response.writeHead(204).end();
        });
      });
      await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
      receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    });

    afterAll(async () => {
      await new Promise((resolve) => receiver?.close(resolve));
    });

    const arrival = (what: string, match: (request: Received) => boolean) =>
      eventually(
        what,
        async () => {
          const found = received.find(match);
          if (!found) throw new Error('not yet');
          return found;
        },
        60_000,
      );
    const signatureOf = (request: Received) => String(request.headers['x-twilio-signature']);

    it("signs a message's status callbacks so the library's validateRequest accepts them", async () => {
      const statusCallback = `${receiverUrl}/status?tenant=a`;
      const sent = await client.messages.create({
        from: ourNumber,
        to: '+447911123456',
        body: 'Tell me when it arrives',
        statusCallback,
      });
      const delivered = await arrival(
        'the delivered status callback',
        (request) => request.params.MessageSid === sent.sid && request.params.MessageStatus === 'delivered',
      );
      expect(delivered.url).toBe(statusCallback);
      expect(delivered.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
      expect(delivered.params).toEqual({
        AccountSid: accounts['twilio-a']!.sid,
        ApiVersion: '2010-04-01',
        From: ourNumber,
        To: '+447911123456',
        MessageSid: sent.sid,
        SmsSid: sent.sid,
        MessageStatus: 'delivered',
        SmsStatus: 'delivered',
      });
      const token = accounts['twilio-a']!.token;
      expect(twilio.validateRequest(token, signatureOf(delivered), delivered.url, delivered.params)).toBe(
        true,
      );
      // Another token, another URL or other parameters: refused.
      expect(
        twilio.validateRequest('0'.repeat(32), signatureOf(delivered), delivered.url, delivered.params),
      ).toBe(false);
      expect(
        twilio.validateRequest(token, signatureOf(delivered), `${receiverUrl}/status`, delivered.params),
      ).toBe(false);
      expect(
        twilio.validateRequest(token, signatureOf(delivered), delivered.url, {
          ...delivered.params,
          MessageStatus: 'failed',
        }),
      ).toBe(false);
      // The status changes before it were posted too (sent), each signed.
      const sentStatus = await arrival(
        'the sent status callback',
        (request) => request.params.MessageSid === sent.sid && request.params.MessageStatus === 'sent',
      );
      expect(twilio.validateRequest(token, signatureOf(sentStatus), sentStatus.url, sentStatus.params)).toBe(
        true,
      );
    }, 90_000);

    it('posts an inbound message to the SmsUrl set through the API, signed', async () => {
      const smsUrl = `${receiverUrl}/sms`;
      await client.incomingPhoneNumbers(ourNumberSid).update({ smsUrl });
      await platform.carrier.inbound({ from: '+447911123457', to: ourNumber, text: 'Hello from a phone' });
      const inbound = await arrival('the inbound message', (request) => request.url === smsUrl);
      expect(inbound.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
      expect(inbound.params).toMatchObject({
        AccountSid: accounts['twilio-a']!.sid,
        From: '+447911123457',
        To: ourNumber,
        Body: 'Hello from a phone',
        NumMedia: '0',
        NumSegments: '1',
        SmsStatus: 'received',
        ApiVersion: '2010-04-01',
      });
      expect(inbound.params.MessageSid).toMatch(/^SM[0-9a-f]{32}$/);
      expect(inbound.params.SmsMessageSid).toBe(inbound.params.MessageSid);
      const fetched = await client.messages(inbound.params.MessageSid!).fetch();
      expect(fetched).toMatchObject({ direction: 'inbound', body: 'Hello from a phone' });
      expect(
        twilio.validateRequest(accounts['twilio-a']!.token, signatureOf(inbound), smsUrl, inbound.params),
      ).toBe(true);
      expect(twilio.validateRequest('0'.repeat(32), signatureOf(inbound), smsUrl, inbound.params)).toBe(
        false,
      );
    }, 90_000);

    it('signs with the newest auth token once the token is rotated', async () => {
      const rotated = await api('POST', '/v1/tenant/twilio-auth-token', keys['twilio-a']);
      expect(rotated.status).toBe(201);
      const newest = String(rotated.body.authToken);
      const sent = await client.messages.create({
        from: ourNumber,
        to: '+447911123456',
        body: 'After the rotation',
        statusCallback: `${receiverUrl}/status-after-rotation`,
      });
      const callback = await arrival(
        'a status callback after the rotation',
        (request) => request.params.MessageSid === sent.sid,
      );
      expect(twilio.validateRequest(newest, signatureOf(callback), callback.url, callback.params)).toBe(true);
      expect(
        twilio.validateRequest(
          accounts['twilio-a']!.token,
          signatureOf(callback),
          callback.url,
          callback.params,
        ),
      ).toBe(false);
      accounts['twilio-a']!.token = newest;
    }, 90_000);
  });

  describe('calls', () => {
    const caller = '+447700930077';

    it('lists the records of calls the carrier carried, with their filters, and fetches one', async () => {
      const messaging = platform.backends.messaging.app as unknown as MessagingApp;
      const callbackUrl = `${messaging.cdrEndpoint()!.url}/carrier/cdrs`;
      await platform.carrier.placeCall({
        callbackUrl,
        direction: 'inbound',
        from: caller,
        to: ourNumber,
        forwardedTo: '+14155550196',
        durationSeconds: 42,
      });
      await platform.carrier.placeCall({
        callbackUrl,
        direction: 'outbound',
        from: ourNumber,
        to: caller,
        disposition: 'busy',
        durationSeconds: 0,
      });
      const calls = await eventually('both call records', async () => {
        const listed = await client.calls.list({ pageSize: 1 });
        if (listed.length < 2) throw new Error(`${listed.length} so far`);
        return listed;
      });
      // Two pages of one: the library followed the next_page_uri.
      expect(calls).toHaveLength(2);
      const inbound = calls.find((call) => call.direction === 'inbound')!;
      expect(inbound.sid).toMatch(/^CA[0-9a-f]{32}$/);
      expect(inbound).toMatchObject({
        accountSid: accounts['twilio-a']!.sid,
        from: caller,
        to: ourNumber,
        status: 'completed',
        duration: '42',
        price: null,
        uri: `/2010-04-01/Accounts/${accounts['twilio-a']!.sid}/Calls/${inbound.sid}.json`,
      });
      expect(inbound.toFormatted).toMatch(/^\(\d{3}\) \d{3}-\d{4}$/);
      expect(inbound.startTime).toBeInstanceOf(Date);
      expect(inbound.endTime!.getTime()).toBeGreaterThanOrEqual(inbound.startTime!.getTime());
      expect(calls.find((call) => call.direction === 'outbound-api')).toMatchObject({
        from: ourNumber,
        status: 'busy',
        duration: '0',
      });

      expect((await client.calls.list({ status: 'busy' })).map((call) => call.direction)).toEqual([
        'outbound-api',
      ]);
      expect((await client.calls.list({ to: ourNumber })).map((call) => call.sid)).toEqual([inbound.sid]);
      expect(await client.calls.list({ status: 'in-progress' })).toEqual([]);
      expect(await client.calls.list({ startTimeBefore: new Date(Date.now() - 86_400_000) })).toEqual([]);
      expect(await client.calls.list({ endTimeAfter: new Date(Date.now() - 3_600_000) })).toHaveLength(2);

      const fetched = await client.calls(inbound.sid).fetch();
      expect(fetched.toJSON()).toEqual(inbound.toJSON());
    }, 60_000);

    it('answers 20404 for a CallSid that names no record of the account', async () => {
      for (const sid of [`CA${'0'.repeat(32)}`, 'CA123']) {
        const failure = await client
          .calls(sid)
          .fetch()
          .catch((error: unknown) => error);
        expect(failure).toBeInstanceOf(RestException);
        expect(failure).toMatchObject({ status: 404, code: 20404 });
      }
    });

    it('refuses to create a call with 20004: Parley keeps records, it does not place calls', async () => {
      const failure = await client.calls
        .create({ from: ourNumber, to: caller, url: 'https://example.com/twiml' })
        .catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(RestException);
      expect(failure).toMatchObject({ status: 405, code: 20004 });
    });
  });

  describe('releasing a number', () => {
    it('deletes it from the incoming numbers', async () => {
      expect(await client.incomingPhoneNumbers(ourNumberSid).remove()).toBe(true);
      const failure = await client
        .incomingPhoneNumbers(ourNumberSid)
        .fetch()
        .catch((error: unknown) => error);
      expect(failure).toMatchObject({ status: 404, code: 20404 });
    });
  });

  describe('rate limits', () => {
    it("counts Twilio-compatible requests against the tenant's limits and answers 429 with 20429", async () => {
      const created = await api('POST', '/v1/tenants', adminKey, {
        id: 'twilio-c',
        name: 'Tenant twilio-c',
        tenancyMode: 'pooled',
        jurisdiction: 'ccpa',
      });
      expect(created.status).toBe(201);
      const limited = await api('PUT', '/v1/admin/tenants/twilio-c/rate-limits', adminKey, {
        perPrincipal: 3,
      });
      expect(limited.status).toBe(200);
      const rotated = await api('POST', '/v1/tenant/twilio-auth-token', String(created.body.apiKey));
      const sid = String(rotated.body.accountSid);
      const list = () =>
        fetch(`${platform.baseUrl}/2010-04-01/Accounts/${sid}/Messages.json`, {
          headers: { authorization: basic(sid, String(rotated.body.authToken)) },
        });
      for (let n = 0; n < 3; n++) expect((await list()).status).toBe(200);
      const refused = await list();
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(await refused.json()).toMatchObject({ code: 20429, status: 429 });
    });
  });

  /** A fresh token of a tenant (its earlier ones were rotated away by the tests above). */
  async function rotatedTokenOf(tenant: string): Promise<string> {
    const rotated = await api('POST', '/v1/tenant/twilio-auth-token', keys[tenant]);
    return String(rotated.body.authToken);
  }
});
