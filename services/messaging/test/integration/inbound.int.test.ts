// Receiving over SMPP from the carrier simulator (its own process): mobile-originated deliver_sm stored,
// published, webhooked and forwarded; parts joined; a part sent again kept once; opt-out keywords.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { status } from '@grpc/grpc-js';
import { sql } from 'drizzle-orm';
import { Webhook } from 'standardwebhooks';
import {
  call,
  createLogger,
  identifierHashes,
  matchingHashes,
  recordTombstone,
  withTenant,
} from '@parley/kit';
import { messagingV1 } from '@parley/proto';
import { as } from '../../../../tests/support/callers';
import { eventually, expectStatus } from '../../../../tests/support/grpc';
import { publishedEvents } from '../../../../tests/support/streams';
import { startWebhookReceiver, type WebhookReceiver } from '../../../../tests/support/webhookReceiver';
import { CONFIRMATIONS } from '../../src/domain/keywords';
import { phone, queueMessage } from '../../src/outbound';
import { messagingParticipant } from '../../src/privacy';
import { startMessaging, type MessagingUnderTest } from './messagingForTests';

const HELP_TEXT = 'Acme Dental: reminders for your appointments. Reply STOP to stop. Call 415 555 0100.';

describe('messaging: receiving over SMPP from the carrier simulator', () => {
  let under: MessagingUnderTest;
  let receiver: WebhookReceiver;
  let secret: string;
  let number: string;
  let plain: string;
  const tenant = `in-${randomUUID().slice(0, 8)}`;
  const target = '+447911123456';
  let next = 100;
  /** A new sender (a handset) for each test. */
  const sender = () => `+447911${200_000 + next++}`;

  beforeAll(async () => {
    under = await startMessaging({
      env: { WEBHOOK_ALLOW_PRIVATE: 'true', MESSAGING_HELP_TEXT: HELP_TEXT },
    });
    receiver = await startWebhookReceiver();
    number = await under.buyNumber(tenant);
    plain = await under.buyNumber(tenant);
    await under.configureNumber(tenant, number, {
      forwardingTarget: target,
      messagingWebhookUrl: receiver.url,
    });
    ({ value: secret } = await call(under.client, under.client.createWebhookSecret, {}, await as(tenant)));
  });

  afterAll(async () => {
    await receiver?.close();
    await under?.stop();
  });

  /** The tenant's messages to or from `phone`, oldest first. */
  const messagesOf = async (phone: string) => {
    const page = await call(
      under.client,
      under.client.listMessages,
      { pageSize: 100, pageToken: '', phoneNumber: phone, direction: 0, status: '' },
      await as(tenant),
    );
    return page.messages.reverse();
  };
  const inboundFrom = async (phone: string, count = 1) =>
    eventually(`${count} inbound message(s) from ${phone}`, async () => {
      const found = (await messagesOf(phone)).filter(
        (message) => message.direction === messagingV1.Direction.DIRECTION_INBOUND,
      );
      if (found.length < count) throw new Error(`${found.length} so far`);
      return found;
    });
  /** The texts the SMSC accepted for `to`, waiting until there are `count` (of those `which` picks). */
  const acceptedFor = (
    to: string,
    count: number,
    which: (message: { text: string }) => boolean = () => true,
  ) =>
    eventually(`${count} message(s) accepted for ${to}`, async () => {
      const accepted = (await under.carrier.smscMessages({ to })).filter(which);
      if (accepted.length < count) throw new Error(`${accepted.length} so far`);
      return accepted;
    });

  it('stores the message as received, publishes it, posts a signed message.received webhook and forwards it from the number', async () => {
    const from = sender();
    await under.carrier.inbound({ from, to: number, text: 'Can I move my appointment to Friday?' });
    const [received] = await inboundFrom(from);
    expect(received).toMatchObject({
      status: 'received',
      from,
      to: number,
      body: 'Can I move my appointment to Friday?',
      segments: 1,
      encoding: 'GSM-7',
      forwardedTo: target,
    });
    const hook = await eventually('the webhook', async () => {
      const found = receiver.received.find((each) => each.body.includes(received!.id));
      if (!found) throw new Error('not yet');
      return found;
    });
    const payload = new Webhook(secret).verify(hook.body, hook.headers as Record<string, string>);
    expect(payload).toMatchObject({
      type: 'message.received',
      data: {
        id: received!.id,
        from,
        to: number,
        body: 'Can I move my appointment to Friday?',
        numSegments: 1,
        mediaUrls: [],
        receivedAt: received!.createdAt!.toISOString(),
      },
    });
    const [forwarded] = await acceptedFor(target, 1, (m) => m.text.includes('Friday'));
    expect(forwarded).toMatchObject({
      from: number,
      text: `From ${from}: Can I move my appointment to Friday?`,
      duplicate: false,
    });
    const events = (await publishedEvents(under.messaging.app.runtime, 'messaging')).filter(
      (event) => event.aggregateKey === `message:${received!.id}`,
    );
    expect(events.map((event) => event.type)).toEqual(['messaging.message.received']);
    expect(messagingV1.MessageReceived.decode(events[0]!.payload)).toMatchObject({
      messageId: received!.id,
      segments: 1,
      encoding: 'GSM-7',
      originCountry: 'GB',
      receiverClass: 'long_code',
      from,
      to: number,
    });
  });

  it('joins a long message of three parts and stores it whole, once', async () => {
    const from = sender();
    const text = `${'The quick brown fox jumps over the lazy dog. '.repeat(9)}The end.`;
    const { parts } = await under.carrier.inbound({ from, to: plain, text });
    expect(parts).toBe(3);
    const [received] = await inboundFrom(from);
    expect(received).toMatchObject({ body: text, segments: 3, encoding: 'GSM-7', forwardedTo: '' });
    await eventually('every part answered', async () => {
      const counters = await under.carrier.smscCounters();
      if (counters.deliveriesPending! > 0) throw new Error('parts pending');
    });
    expect(await inboundFrom(from)).toHaveLength(1);
  });

  it('keeps a part the SMSC sent again (its answer came too late) once: one message, one webhook, one forward', async () => {
    const from = sender();
    const before = await under.carrier.smscCounters();
    // Holds every inbound part's insert: the first deliver_sm waits unanswered, and the SMSC sends it again.
    const blocker = await under.messaging.app.runtime.pool.connect();
    try {
      await blocker.query('begin');
      await blocker.query('lock table inbound_parts in share row exclusive mode');
      await under.carrier.inbound({ from, to: number, text: 'sent twice?' });
      await eventually(
        'the SMSC to send the deliver_sm again',
        async () => {
          const counters = await under.carrier.smscCounters();
          if (counters.inboundSent! - before.inboundSent! < 2) throw new Error('not resent yet');
        },
        15_000,
      );
    } finally {
      await blocker.query('commit');
      blocker.release();
    }
    await eventually('both deliver_sm answered', async () => {
      const counters = await under.carrier.smscCounters();
      if (counters.deliveriesPending! > 0) throw new Error('pending');
      if (counters.inboundAcked! - before.inboundAcked! < 1) throw new Error('not acknowledged');
    });
    const stored = await inboundFrom(from);
    const forwarded = await acceptedFor(target, 1, (m) => m.text === `From ${from}: sent twice?`);
    expect(stored).toHaveLength(1);
    expect(forwarded).toHaveLength(1);
    // The webhook goes out from its own job, maybe after the forward: wait for it, then give a second
    // delivery the time to show up.
    const webhooksFor = () => receiver.received.filter((each) => each.body.includes(stored[0]!.id));
    await eventually('the inbound webhook', async () => {
      if (webhooksFor().length === 0) throw new Error('no webhook yet');
    });
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(webhooksFor()).toHaveLength(1);
  });

  it('STOP opts the sender out: confirmed, then a send to them is refused with RECIPIENT_OPTED_OUT and never reaches the SMSC; START opts them back in', async () => {
    const from = sender();
    await under.carrier.inbound({ from, to: plain, text: '  Stop ' });
    const [stop] = await acceptedFor(from, 1);
    expect(stop).toMatchObject({ from: plain, text: CONFIRMATIONS['opt-out'] });
    const confirmation = (await messagesOf(from)).find(
      (message) => message.direction === messagingV1.Direction.DIRECTION_OUTBOUND,
    );
    expect(confirmation).toMatchObject({ body: CONFIRMATIONS['opt-out'], to: from, from: plain });
    await under.reaches(tenant, confirmation!.id, 'delivered');

    await expectStatus(
      under.send(tenant, { from: plain, to: from, body: 'Your appointment is tomorrow' }),
      status.FAILED_PRECONDITION,
      'RECIPIENT_OPTED_OUT',
    );
    // Another of the tenant's numbers is another sender: the STOP was to `plain` only.
    const other = await under.send(tenant, { from: number, to: from, body: 'From the other number' });
    await under.reaches(tenant, other.id, 'delivered');
    expect((await under.carrier.smscMessages({ to: from })).map((m) => m.text)).toEqual([
      CONFIRMATIONS['opt-out'],
      'From the other number',
    ]);

    await under.carrier.inbound({ from, to: plain, text: 'START' });
    await acceptedFor(from, 3);
    const sent = await under.send(tenant, { from: plain, to: from, body: 'Welcome back' });
    await under.reaches(tenant, sent.id, 'delivered');
    expect((await under.carrier.smscMessages({ to: from })).map((m) => m.text)).toEqual([
      CONFIRMATIONS['opt-out'],
      'From the other number',
      CONFIRMATIONS['opt-in'],
      'Welcome back',
    ]);
  });

  it('fails a message queued before the STOP came at send time, with RECIPIENT_OPTED_OUT, instead of sending it', async () => {
    const from = sender();
    const deps = under.messaging.app.deps;
    // The message is queued in a transaction that stays open until the STOP is recorded: its send job
    // cannot run before.
    const queued = await withTenant(deps.db, tenant, async (tx) => {
      const row = await queueMessage(deps, tx, {
        tenantId: tenant,
        accountId: null,
        from: plain,
        to: from,
        body: 'Queued before the STOP',
        senderClass: 'long_code',
      });
      await under.carrier.inbound({ from, to: plain, text: 'unsubscribe' });
      await eventually('the opt-out to be recorded', async () => {
        const stops = await withTenant(deps.db, tenant, (other) =>
          other.execute(sql`select 1 from messages where from_e164 = ${from} and keyword = 'UNSUBSCRIBE'`),
        );
        if (stops.rows.length === 0) throw new Error('not yet');
      });
      return row;
    });
    const failed = await under.reaches(tenant, queued.id, 'failed');
    expect(failed.message!.errorCode).toBe('RECIPIENT_OPTED_OUT');
    expect((await acceptedFor(from, 1)).map((m) => m.text)).toEqual([CONFIRMATIONS['opt-out']]);
  });

  it('HELP and INFO are answered with the help text, recorded as outbound messages', async () => {
    const from = sender();
    await under.carrier.inbound({ from, to: plain, text: 'help' });
    await under.carrier.inbound({ from, to: plain, text: 'Info\n' });
    const answers = await acceptedFor(from, 2);
    expect(answers.map((m) => [m.from, m.text])).toEqual([
      [plain, HELP_TEXT],
      [plain, HELP_TEXT],
    ]);
    const recorded = (await messagesOf(from)).filter(
      (message) => message.direction === messagingV1.Direction.DIRECTION_OUTBOUND,
    );
    expect(recorded.map((message) => message.body)).toEqual([HELP_TEXT, HELP_TEXT]);
  });

  it('keeps the opt-out after the person is erased: the receipt says so, and a send to them is still refused', async () => {
    const from = sender();
    await under.carrier.inbound({ from, to: plain, text: 'QUIT' });
    await acceptedFor(from, 1);
    const deps = under.messaging.app.deps;
    const subject = phone(from);
    const receipt = await withTenant(deps.db, tenant, (tx) =>
      messagingParticipant(deps).erase(tx, subject, {
        tenantId: tenant,
        hashes: matchingHashes(deps.subjectHashKeys, tenant, subject),
        currentHashes: identifierHashes(deps.subjectHashKeys, tenant, subject),
        log: createLogger({ service: 'test', version: 'test', level: 'silent' }),
      }),
    );
    expect(receipt.find((line) => line.category === 'opt_outs')).toMatchObject({
      deleted: '0',
      anonymised: '1',
      kept: '1',
      keptBasis: expect.stringContaining('TCPA'),
    });
    expect(receipt.find((line) => line.category === 'message_metadata')!.deleted).toBe('2');
    expect(await messagesOf(from)).toEqual([]);
    await expectStatus(
      under.send(tenant, { from: plain, to: from, body: 'Are you still there?' }),
      status.FAILED_PRECONDITION,
      'RECIPIENT_OPTED_OUT',
    );
    const left = await withTenant(deps.db, tenant, (tx) =>
      tx.execute(sql`select * from opt_outs where number_e164 = ${plain}`),
    );
    expect(JSON.stringify(left.rows)).not.toContain(from.slice(1));
  });

  it('takes a message from an erased sender like any other but keeps no text of it in the log', async () => {
    const from = sender();
    const deps = under.messaging.app.deps;
    await withTenant(deps.db, tenant, (tx) =>
      recordTombstone(tx, tenant, identifierHashes(deps.subjectHashKeys, tenant, phone(from))),
    );
    await under.carrier.inbound({ from, to: number, text: 'I am back' });
    const [received] = await inboundFrom(from);
    expect(received).toMatchObject({ status: 'received', body: '', forwardedTo: target });
    await acceptedFor(target, 1, (m) => m.text === `From ${from}: I am back`);
    await eventually('the webhook', async () => {
      if (!receiver.received.some((each) => each.body.includes(received!.id))) throw new Error('not yet');
    });
  });

  it('housekeeping deletes parts older than a day, of every tenant, and nothing newer', async () => {
    const deps = under.messaging.app.deps;
    const insert = (tenantId: string, key: string, age: string) =>
      withTenant(deps.db, tenantId, (tx) =>
        tx.execute(sql`insert into inbound_parts (tenant_id, group_key, seq, total, from_e164, to_e164, encoding, text, received_at)
                       values (${tenantId}, ${key}, 1, 2, '+447911000001', ${plain}, 'GSM-7', 'half', now() - ${age}::interval)`),
      );
    const [oldA, oldB, fresh] = [randomUUID(), randomUUID(), randomUUID()];
    await insert(tenant, oldA, '25 hours');
    await insert('another-tenant', oldB, '2 days');
    await insert(tenant, fresh, '23 hours');
    await deps.inboundParts.purge(deps.db);
    const left = async (tenantId: string) =>
      (
        await withTenant(deps.db, tenantId, (tx) =>
          tx.execute<{ group_key: string }>(
            sql`select group_key from inbound_parts where group_key in (${oldA}, ${oldB}, ${fresh})`,
          ),
        )
      ).rows.map((row) => row.group_key);
    expect(await left(tenant)).toEqual([fresh]);
    expect(await left('another-tenant')).toEqual([]);
  });

  it('answers a message to a number no tenant holds and keeps nothing of it', async () => {
    const from = sender();
    const before = await under.carrier.smscCounters();
    await under.carrier.inbound({ from, to: '+14155550000', text: 'anyone there?' });
    await eventually('the deliver_sm answered', async () => {
      const counters = await under.carrier.smscCounters();
      if (counters.inboundAcked! - before.inboundAcked! < 1) throw new Error('not yet');
    });
    const kept = await under.messaging.app.runtime.db.execute(
      sql`select count(*)::int as n from inbound_parts where from_e164 = ${from}`,
    );
    expect(kept.rows[0]).toEqual({ n: 0 });
    expect(await messagesOf(from)).toEqual([]);
  });
});
