import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { status } from '@grpc/grpc-js';
import { sql } from 'drizzle-orm';
import { call, withTenant } from '@parley/kit';
import { messagingV1 } from '@parley/proto';
import { as } from '../../../../tests/support/callers';
import { expectStatus } from '../../../../tests/support/grpc';
import { publishedEvents } from '../../../../tests/support/streams';
import { startMessaging, type MessagingUnderTest } from './messagingForTests';

describe('messaging: sending over SMPP to the carrier simulator', () => {
  let under: MessagingUnderTest;
  let from: string;
  let smsOnly: string;
  const tenant = `t-${randomUUID().slice(0, 8)}`;
  const other = `o-${randomUUID().slice(0, 8)}`;
  /** A recipient the simulator delivers to, or one of its magic endings (tools/carrier-sim README). */
  let next = 1000;
  const recipient = (ending?: string) => `+44770090${ending ?? String(next++).padStart(4, '0')}`;

  beforeAll(async () => {
    under = await startMessaging();
    from = await under.buyNumber(tenant);
    // New York (212) numbers have no MMS at the simulator.
    smsOnly = await under.buyNumber(tenant, ['sms'], '212');
  });

  afterAll(async () => {
    await under?.stop();
  });

  describe('MessagingService/SendMessage', () => {
    describe('OK', () => {
      it('answers queued with encoding and segments, then reaches delivered through SMPP with every step in the history', async () => {
        const to = recipient();
        const sent = await under.send(tenant, { from, to, body: 'Hello from Parley' });
        expect(sent).toMatchObject({ status: 'queued', encoding: 'GSM-7', segments: 1, from, to });
        const done = await under.reaches(tenant, sent.id, 'delivered');
        expect(done.history.map((change) => change.status)).toEqual([
          'queued',
          'sending',
          'sent',
          'delivered',
        ]);
        expect(done.message!.carrierMessageIds).toHaveLength(1);
        const accepted = await under.carrier.smscMessages({ to });
        expect(accepted.map((message) => [message.text, message.parts, message.duplicate])).toEqual([
          ['Hello from Parley', 1, false],
        ]);
      });

      it('publishes messaging.message.sent (segments, encoding, destination country, sender class) and delivered', async () => {
        const sent = await under.send(tenant, { from, to: '+4915123450001', body: 'events' });
        await under.reaches(tenant, sent.id, 'delivered');
        const events = (await publishedEvents(under.messaging.app.runtime, 'messaging')).filter(
          (event) => event.aggregateKey === `message:${sent.id}`,
        );
        expect(events.map((event) => event.type)).toEqual([
          'messaging.message.sent',
          'messaging.message.delivered',
        ]);
        expect(messagingV1.MessageSent.decode(events[0]!.payload)).toMatchObject({
          messageId: sent.id,
          segments: 1,
          encoding: 'GSM-7',
          destinationCountry: 'DE',
          senderClass: 'long_code',
          kind: 'sms',
          // The parties, for billing's itemised invoice.
          from,
          to: '+4915123450001',
        });
        expect(events[0]!.tenantId).toBe(tenant);
      });

      it('sends a long UCS-2 body as concatenated parts that the SMSC joins back into the same text', async () => {
        const to = recipient();
        const body = `Привет, ${'мир '.repeat(40)}👋`;
        const sent = await under.send(tenant, { from, to, body });
        expect(sent).toMatchObject({ encoding: 'UCS-2', segments: 3 });
        const done = await under.reaches(tenant, sent.id, 'delivered');
        expect(done.message!.carrierMessageIds).toHaveLength(3);
        const [accepted] = await under.carrier.smscMessages({ to });
        expect(accepted).toMatchObject({ text: body, parts: 3, dataCoding: 8, duplicate: false });
      });

      it('sends a GSM-7 body with extension characters as data_coding 0, exactly as written', async () => {
        const to = recipient();
        const body = `Price: 5€ [promo] {code} ${'x'.repeat(150)}`;
        const sent = await under.send(tenant, { from, to, body });
        expect(sent).toMatchObject({ encoding: 'GSM-7', segments: 2 });
        await under.reaches(tenant, sent.id, 'delivered');
        const [accepted] = await under.carrier.smscMessages({ to });
        expect(accepted).toMatchObject({ text: body, parts: 2, dataCoding: 0 });
      });

      it('answers a repeated request id with the same message, sent once', async () => {
        const to = recipient();
        const requestId = randomUUID();
        const first = await under.send(tenant, { from, to, body: 'once' }, requestId);
        const again = await under.send(tenant, { from, to, body: 'once' }, requestId);
        expect(again.id).toBe(first.id);
        await under.reaches(tenant, first.id, 'delivered');
        expect(await under.carrier.smscMessages({ to })).toHaveLength(1);
      });
    });

    describe('final statuses from the carrier', () => {
      it.each([
        ['9980', 'undelivered', /^UNDELIV/],
        ['9985', 'expired', /^EXPIRED$/],
        ['9981', 'failed', /^ESME_RSUBMITFAIL$/],
      ])('a message to …%s ends %s with its error code', async (ending, final, code) => {
        const sent = await under.send(tenant, { from, to: recipient(ending), body: `to ${ending}` });
        const done = await under.reaches(tenant, sent.id, final);
        expect(done.message!.errorCode).toMatch(code);
        expect(done.history.at(-1)).toMatchObject({ status: final });
      });
    });

    describe('INVALID_ARGUMENT', () => {
      it('names every bad field', async () => {
        const { fieldViolations } = await expectStatus(
          under.send(tenant, {
            from,
            to: '0044 7700',
            body: 'x'.repeat(1601),
            statusCallback: 'ftp://example.com/hook',
            validityPeriodSeconds: 5,
          }),
          status.INVALID_ARGUMENT,
          'MESSAGING_INVALID_REQUEST',
        );
        expect(fieldViolations.map((violation) => violation.field).sort()).toEqual([
          'body',
          'statusCallback',
          'to',
          'validityPeriod',
        ]);
      });

      it('refuses a message with neither body nor media, and media that is not https', async () => {
        const { fieldViolations } = await expectStatus(
          under.send(tenant, { from, to: recipient(), mediaUrls: ['ftp://example.com/a.png'] }),
          status.INVALID_ARGUMENT,
        );
        expect(fieldViolations.map((violation) => violation.field)).toEqual(['mediaUrls[0]']);
        await expectStatus(under.send(tenant, { from, to: recipient() }), status.INVALID_ARGUMENT);
      });
    });

    describe('NOT_FOUND', () => {
      it("refuses another tenant's number as the sender, as if it did not exist", async () => {
        await expectStatus(
          under.send(other, { from, to: recipient(), body: 'not mine' }),
          status.NOT_FOUND,
          'SENDER_NOT_FOUND',
        );
        await expectStatus(
          under.send(tenant, { from: '+14155550199', to: recipient(), body: 'nobody' }),
          status.NOT_FOUND,
          'SENDER_NOT_FOUND',
        );
      });
    });

    describe('FAILED_PRECONDITION', () => {
      it('refuses media from a number without the mms capability', async () => {
        await expectStatus(
          under.send(tenant, { from: smsOnly, to: recipient(), mediaUrls: ['https://example.com/a.png'] }),
          status.FAILED_PRECONDITION,
          'SENDER_CAPABILITY_MISSING',
        );
      });
    });
  });

  describe('MessagingService/GetMessage', () => {
    it("answers NOT_FOUND for another tenant's message and for an id that is not one", async () => {
      const sent = await under.send(tenant, { from, to: recipient(), body: 'private' });
      await expectStatus(under.get(other, sent.id), status.NOT_FOUND, 'MESSAGE_NOT_FOUND');
      await expectStatus(under.get(tenant, randomUUID()), status.NOT_FOUND, 'MESSAGE_NOT_FOUND');
    });
  });

  describe('MessagingService/ListMessages', () => {
    it('filters by number, direction, status and time, newest first', async () => {
      const to = recipient();
      const before = new Date();
      const a = await under.send(tenant, { from, to, body: 'first' });
      const b = await under.send(tenant, { from, to, body: 'second' });
      await under.reaches(tenant, a.id, 'delivered');
      await under.reaches(tenant, b.id, 'delivered');
      const list = async (request: Partial<messagingV1.ListMessagesRequest>) =>
        (
          await call(
            under.client,
            under.client.listMessages,
            {
              pageSize: 0,
              pageToken: '',
              phoneNumber: '',
              direction: messagingV1.Direction.DIRECTION_UNSPECIFIED,
              status: '',
              ...request,
            },
            await as(tenant),
          )
        ).messages.map((message) => message.id);
      expect(await list({ phoneNumber: to })).toEqual([b.id, a.id]);
      expect(await list({ phoneNumber: to, status: 'delivered', createdAfter: before })).toEqual([
        b.id,
        a.id,
      ]);
      expect(await list({ phoneNumber: to, direction: messagingV1.Direction.DIRECTION_INBOUND })).toEqual([]);
      expect(await list({ phoneNumber: to, status: 'failed' })).toEqual([]);
      expect(await list({ phoneNumber: to, createdBefore: before })).toEqual([]);
      await expectStatus(list({ status: 'lost' }), status.INVALID_ARGUMENT, 'MESSAGING_INVALID_REQUEST');
    });
  });
});

describe('messaging: an SMSC that throttles', () => {
  let under: MessagingUnderTest;
  const tenant = `th-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    under = await startMessaging({ sim: { env: { CARRIER_SIM_SMPP_MAX_TPS: '5' } } });
  });

  afterAll(async () => {
    await under?.stop();
  });

  it('slows down on ESME_RTHROTTLED and loses nothing: every message delivered, accepted once', async () => {
    const from = await under.buyNumber(tenant);
    const sent = [];
    for (let index = 0; index < 30; index++)
      sent.push(
        await under.send(tenant, {
          from,
          to: `+4477009${String(index).padStart(5, '0')}`,
          body: `burst ${index}`,
        }),
      );
    for (const message of sent) await under.reaches(tenant, message.id, 'delivered', 60_000);
    const counters = await under.carrier.smscCounters();
    expect(counters.throttled).toBeGreaterThan(0);
    expect({ accepted: counters.messagesAccepted, duplicates: counters.duplicates }).toEqual({
      accepted: 30,
      duplicates: 0,
    });
  });
});

describe('messaging: pacing by sender number (throughput class)', () => {
  let under: MessagingUnderTest;
  const busy = `pa-${randomUUID().slice(0, 8)}`;
  const quiet = `pb-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    // The platform's default rates: a long code sends one segment a second.
    under = await startMessaging({ env: { SENDER_RATES: 'long_code:1,toll_free:3,short_code:100' } });
  });

  afterAll(async () => {
    await under?.stop();
  });

  const slotOf = async (tenantId: string, id: string) => {
    const rows = await withTenant(under.messaging.app.runtime.db, tenantId, (tx) =>
      tx.execute<{ send_at: Date | null }>(sql`select send_at from messages where id = ${id}`),
    );
    return rows.rows[0]!.send_at ? new Date(rows.rows[0]!.send_at).getTime() : undefined;
  };

  it("gives a long code's burst one slot a second, and another tenant's number is not queued behind it", async () => {
    const busyNumber = await under.buyNumber(busy);
    const quietNumber = await under.buyNumber(quiet);
    const burst = [];
    for (let index = 0; index < 3; index++)
      burst.push(
        await under.send(busy, { from: busyNumber, to: `+4479112000${index}`, body: `burst ${index}` }),
      );
    const other = await under.send(quiet, { from: quietNumber, to: '+447911200099', body: 'not behind' });
    for (const message of burst) await under.reaches(busy, message.id, 'delivered');
    await under.reaches(quiet, other.id, 'delivered');
    const slots = (await Promise.all(burst.map((message) => slotOf(busy, message.id))))
      .map(Number)
      .sort((a, b) => a - b);
    // One segment each at one segment a second: the slots at least a second apart.
    expect(slots[1]! - slots[0]!).toBeGreaterThanOrEqual(1000);
    expect(slots[2]! - slots[1]!).toBeGreaterThanOrEqual(1000);
    // The other number's message got its own slot, before the burst's last.
    expect((await slotOf(quiet, other.id))!).toBeLessThan(slots[2]!);
  });
});

describe('messaging: a carrier that cannot be reached', () => {
  let under: MessagingUnderTest;
  const tenant = `un-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    // Numbering buys from the simulator as usual; messaging's SMSC address is a port nobody listens on.
    under = await startMessaging({ env: { SMPP_PORT: '9', SMPP_RESPONSE_TIMEOUT_MS: '200' } });
  });

  afterAll(async () => {
    await under?.stop();
  });

  it('keeps the message while the carrier is down, and expires it once it waited past its validity', async () => {
    const from = await under.buyNumber(tenant);
    const sent = await under.send(tenant, {
      from,
      to: '+447911300001',
      body: 'waiting',
      validityPeriodSeconds: 60,
    });
    const waiting = await under.get(tenant, sent.id);
    expect(['queued', 'sending']).toContain(waiting.message!.status);
    // Its validity runs out (moved forward here rather than waited for).
    await withTenant(under.messaging.app.runtime.db, tenant, (tx) =>
      tx.execute(sql`update messages set expires_at = now() - interval '1 second' where id = ${sent.id}`),
    );
    const done = await under.reaches(tenant, sent.id, 'expired', 60_000);
    expect(done.message!.errorCode).toBe('VALIDITY_PERIOD_PASSED');
    expect((await under.carrier.smscCounters()).submitsReceived).toBe(0);
  });
});

describe('messaging: a failover route', () => {
  let under: MessagingUnderTest;
  const tenant = `fo-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    // The primary SMSC address answers nobody; the failover route is the simulator's SMSC.
    under = await startMessaging({
      env: { SMPP_PORT: '9', SMPP_RESPONSE_TIMEOUT_MS: '500' },
      failoverToSimulator: true,
    });
  });

  afterAll(async () => {
    await under?.stop();
  });

  it('sends over the failover bind while the primary has none, and takes its receipts', async () => {
    const from = await under.buyNumber(tenant);
    const sent = await under.send(tenant, { from, to: '+447911400001', body: 'over the second route' });
    const done = await under.reaches(tenant, sent.id, 'delivered');
    expect(done.message!.carrierMessageIds).toHaveLength(1);
    expect(await under.carrier.smscMessages({ to: '+447911400001' })).toHaveLength(1);
  });
});
