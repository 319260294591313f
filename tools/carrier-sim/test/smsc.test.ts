// The simulator's SMSC as its own process (spawned like every test spawns it), driven by a real SMPP
// client session over loopback.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { Pdu } from '../src/smsc/smpp';
import { startCarrierSim, type CarrierSimHandle } from '../../../tests/support/carrierSim';
import { Status } from '../src/smsc/status';
import { TestEsme, textOf } from './esme';

const MAX_TPS = 15;
const MAX_WINDOW = 40;
const RETRY_MS = 300;

describe('carrier-sim SMSC (SMPP 3.4)', () => {
  let sim: CarrierSimHandle;
  const open: TestEsme[] = [];

  beforeAll(async () => {
    sim = await startCarrierSim({
      smppLatencyMs: 5,
      dlrDelayMs: 50,
      env: {
        CARRIER_SIM_SMPP_MAX_TPS: String(MAX_TPS),
        CARRIER_SIM_SMPP_MAX_WINDOW: String(MAX_WINDOW),
        CARRIER_SIM_SMPP_RETRY_MS: String(RETRY_MS),
        CARRIER_SIM_DLR_SLOW_MS: '1500',
      },
    });
  });

  afterEach(async () => {
    await Promise.all(open.splice(0).map((esme) => esme.close()));
  });

  afterAll(async () => {
    await sim?.stop();
  });

  const esme = async () => {
    const client = await TestEsme.connect(sim.smpp);
    open.push(client);
    return client;
  };

  const bound = async (mode?: 'transmitter' | 'receiver' | 'transceiver') => {
    const client = await esme();
    expect((await client.bind(sim.smpp, mode)).command_status).toBe(Status.ROK);
    return client;
  };

  /** How much each counter grew while `run` ran. */
  const growth = async (run: () => Promise<void>) => {
    const before = await sim.smscCounters();
    await run();
    const after = await sim.smscCounters();
    return Object.fromEntries(
      Object.entries(after).map(([name, value]) => [name, value - (before[name] ?? 0)]),
    );
  };

  /** Polls the counters until `ready` holds (a guard, not a timing assertion). */
  const until = async (ready: (counters: Record<string, number>) => boolean) => {
    for (let attempt = 0; attempt < 200; attempt += 1) {
      if (ready(await sim.smscCounters())) return;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error('counters never got there');
  };

  describe('bind', () => {
    it('binds a transceiver with the account credentials and answers enquire_link', async () => {
      const client = await esme();
      expect((await client.request('enquire_link')).command).toBe('enquire_link_resp');
      const response = await client.bind(sim.smpp);
      expect(response).toMatchObject({ command: 'bind_transceiver_resp', command_status: Status.ROK });
      expect(response.system_id).toBe('carrier-sim');
      expect((await client.request('enquire_link')).command_status).toBe(Status.ROK);
    });

    it('refuses a wrong password with ESME_RINVPASWD and a wrong system_id with ESME_RBINDFAIL, then hangs up', async () => {
      const wrongPassword = await esme();
      expect(
        (await wrongPassword.bind({ systemId: sim.smpp.systemId, password: 'wrong' })).command_status,
      ).toBe(Status.RINVPASWD);
      await wrongPassword.closed;
      const wrongSystem = await esme();
      expect(
        (await wrongSystem.bind({ systemId: 'someone', password: sim.smpp.password }, 'transmitter'))
          .command_status,
      ).toBe(Status.RBINDFAIL);
      await wrongSystem.closed;
    });

    it('answers a second bind ESME_RALYBND, submit before bind ESME_RINVBNDSTS, a receiver submitting too', async () => {
      const unbound = await esme();
      expect((await unbound.submit('447700900123')).command_status).toBe(Status.RINVBNDSTS);
      const receiver = await bound('receiver');
      expect((await receiver.bind(sim.smpp)).command_status).toBe(Status.RALYBND);
      expect((await receiver.submit('447700900123')).command_status).toBe(Status.RINVBNDSTS);
    });

    it('answers an unknown command with generic_nack and unbind with unbind_resp, then closes', async () => {
      const client = await bound();
      const nack = new Promise<Pdu>((resolve) => client.session.once('generic_nack', resolve));
      // A header-only PDU with a command id SMPP does not define.
      const unknown = Buffer.alloc(16);
      unknown.writeUInt32BE(16, 0);
      unknown.writeUInt32BE(0x00000999, 4);
      unknown.writeUInt32BE(4242, 12);
      client.session.socket.write(unknown);
      expect(await nack).toMatchObject({ command_status: Status.RINVCMDID, sequence_number: 4242 });
      expect((await client.request('unbind')).command).toBe('unbind_resp');
      await client.closed;
    });

    it('hangs up on a stream that is not SMPP, and serves the next connection', async () => {
      const client = await esme();
      // A command_length far past what a PDU may be.
      client.session.socket.write(Buffer.from([0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 1]));
      await client.closed;
      await bound();
    });
  });

  describe('HTTP side', () => {
    const post = (body: unknown, key: string | null = sim.apiKey) =>
      fetch(`${sim.url}/smsc/inbound`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
        body: JSON.stringify(body),
      });

    it('refuses /smsc without the API key', async () => {
      expect((await post({ from: '+447700900777', to: '+14155550100', text: 'x' }, null)).status).toBe(401);
      expect((await fetch(`${sim.url}/smsc/counters`)).status).toBe(401);
    });

    it.each([
      [{ from: '447700900777', to: '+14155550100', text: 'x' }, 'from'],
      [{ from: '+447700900777', to: '+0', text: 'x' }, 'to'],
      [{ from: '+447700900777', to: '+14155550100', text: '' }, 'text'],
      [{ from: '+447700900777', to: '+14155550100', text: 'x'.repeat(1601) }, 'text'],
    ])('answers 400 naming the field for %j', async (body, field) => {
      const response = await post(body);
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: { code: 'invalid_request', field } });
    });
  });

  describe('submit_sm', () => {
    it('answers with a message id, then sends the receipt with receipted_message_id', async () => {
      const client = await bound();
      const response = await client.submit('447700900123', { short_message: Buffer.from('Hello there') });
      expect(response.command_status).toBe(Status.ROK);
      const messageId = String(response.message_id);
      expect(messageId).toMatch(/^[0-9a-f]{16}$/);
      const receipt = await client.receiptFor(messageId);
      expect(receipt).toMatchObject({
        esm_class: 0x04,
        message_state: 2,
        source_addr: '447700900123',
        destination_addr: '14155550100',
      });
      expect(textOf(receipt)).toMatch(
        new RegExp(
          `^id:${messageId} sub:001 dlvrd:001 submit date:\\d{10} done date:\\d{10} stat:DELIVRD err:000 text:Hello there$`,
        ),
      );
      const [logged] = await sim.smscMessages({ to: '+447700900123' });
      expect(logged).toMatchObject({ id: messageId, from: '+14155550100', text: 'Hello there', parts: 1 });
    });

    it('sends no receipt when registered_delivery does not ask for one', async () => {
      const client = await bound();
      const silent = await client.submit('447700900124', { registered_delivery: 0 });
      const asked = await client.submit('447700900124');
      // Receipts come in order: once the later one is here, the earlier one would be too.
      await client.receiptFor(String(asked.message_id));
      expect(client.delivered.map((pdu) => pdu.receipted_message_id)).not.toContain(silent.message_id);
    });

    it('accepts UCS-2 and Latin-1 and logs the decoded text', async () => {
      const client = await bound();
      const ucs2 = Buffer.from('Привет 😀', 'utf16le').swap16();
      expect(
        (await client.submit('447700900125', { data_coding: 8, short_message: ucs2 })).command_status,
      ).toBe(Status.ROK);
      expect(
        (
          await client.submit('447700900125', {
            data_coding: 3,
            short_message: Buffer.from('Ça va', 'latin1'),
          })
        ).command_status,
      ).toBe(Status.ROK);
      const logged = await sim.smscMessages({ to: '+447700900125' });
      expect(logged.map(({ text, dataCoding }) => ({ text, dataCoding }))).toEqual([
        { text: 'Привет 😀', dataCoding: 8 },
        { text: 'Ça va', dataCoding: 3 },
      ]);
    });

    it.each([
      ['a national destination (ton 2)', { dest_addr_ton: 2 }, Status.RINVDSTTON],
      ['a destination outside the ISDN plan', { dest_addr_npi: 9 }, Status.RINVDSTNPI],
      ['a destination that is not E.164 digits', { destination_addr: '44abc' }, Status.RINVDSTADR],
      ['a destination too short', { destination_addr: '12345' }, Status.RINVDSTADR],
      ['an empty source', { source_addr: '' }, Status.RINVSRCADR],
      ['an unsupported data_coding', { data_coding: 0x09 }, Status.RINVDCS],
    ])('refuses %s', async (_case, fields, status) => {
      const client = await bound();
      expect((await client.submit('447700900126', fields)).command_status).toBe(status);
    });

    it('accepts an alphanumeric sender (ton 5)', async () => {
      const client = await bound();
      const response = await client.submit('447700900127', {
        source_addr_ton: 5,
        source_addr_npi: 0,
        source_addr: 'Parley',
      });
      expect(response.command_status).toBe(Status.ROK);
      const receipt = await client.receiptFor(String(response.message_id));
      expect(receipt).toMatchObject({ dest_addr_ton: 5, destination_addr: 'Parley' });
    });
  });

  describe('magic destinations', () => {
    it('…9980 is undelivered and …9985 expires, each told by its receipt', async () => {
      const client = await bound();
      const undelivered = await client.submit('447700909980');
      const expired = await client.submit('447700909985');
      const undeliveredReceipt = await client.receiptFor(String(undelivered.message_id));
      expect(undeliveredReceipt.message_state).toBe(5);
      expect(textOf(undeliveredReceipt)).toMatch(/ dlvrd:000 .* stat:UNDELIV err:001 /);
      const expiredReceipt = await client.receiptFor(String(expired.message_id));
      expect(expiredReceipt.message_state).toBe(3);
      expect(textOf(expiredReceipt)).toContain(' stat:EXPIRED ');
    });

    it('…9981 is refused with ESME_RSUBMITFAIL and …9982 always throttled', async () => {
      const client = await bound();
      expect((await client.submit('447700909981')).command_status).toBe(Status.RSUBMITFAIL);
      expect((await client.submit('447700909982')).command_status).toBe(Status.RTHROTTLED);
      expect((await client.submit('447700909982')).command_status).toBe(Status.RTHROTTLED);
      expect(await sim.smscMessages({ to: '+447700909981' })).toEqual([]);
    });

    it('…9983 never gets a receipt; …9984 gets it only after the slow delay', async () => {
      const client = await bound();
      const never = await client.submit('447700909983');
      const slow = await client.submit('447700909984');
      const normal = await client.submit('447700900128');
      await client.receiptFor(String(normal.message_id));
      const slowReceipt = await client.receiptFor(String(slow.message_id));
      const order = client.delivered.map((pdu) => pdu.receipted_message_id);
      expect(order.indexOf(normal.message_id)).toBeLessThan(order.indexOf(slow.message_id));
      expect(textOf(slowReceipt)).toContain(' stat:DELIVRD ');
      expect(order).not.toContain(never.message_id);
      expect(never.command_status).toBe(Status.ROK);
    });
  });

  describe('throughput and window', () => {
    it(`answers ESME_RTHROTTLED past ${MAX_TPS} submits a second on one bind, and accepts the rest`, async () => {
      const client = await bound();
      // As many as the window holds, well past the per-second budget.
      const burst = MAX_WINDOW;
      let responses: Pdu[] = [];
      const grown = await growth(async () => {
        responses = await Promise.all(
          Array.from({ length: burst }, (_, index) =>
            client.submit(`4477009002${String(index).padStart(2, '0')}`, { registered_delivery: 0 }),
          ),
        );
      });
      const statuses = responses.map((response) => response.command_status);
      const accepted = statuses.filter((status) => status === Status.ROK).length;
      const throttled = statuses.filter((status) => status === Status.RTHROTTLED).length;
      expect(accepted + throttled).toBe(burst);
      expect(accepted).toBeGreaterThan(0);
      // The burst spans at most two one-second windows.
      expect(accepted).toBeLessThanOrEqual(MAX_TPS * 2);
      expect(grown).toMatchObject({ throttled, submitsAccepted: accepted, messagesAccepted: accepted });
      // Another bind has its own budget.
      const other = await bound('transmitter');
      expect((await other.submit('447700900129', { registered_delivery: 0 })).command_status).toBe(
        Status.ROK,
      );
    });

    it(`answers ESME_RMSGQFUL while ${MAX_WINDOW} submits wait for their answer`, async () => {
      const client = await bound('transmitter');
      // …9986 submits are never answered: they fill the window.
      for (let index = 0; index < MAX_WINDOW; index += 1) void client.submit('447700909986');
      const grown = await growth(async () => {
        expect((await client.submit('447700900130')).command_status).toBe(Status.RMSGQFUL);
      });
      expect(grown.windowFull).toBe(1);
      // A new session starts with an empty window.
      const next = await bound('transmitter');
      expect((await next.submit('447700900130', { registered_delivery: 0 })).command_status).toBe(Status.ROK);
    });
  });

  describe('concatenated messages', () => {
    const udh8 = (reference: number, total: number, sequence: number) =>
      Buffer.from([0x05, 0x00, 0x03, reference, total, sequence]);
    const udh16 = (reference: number, total: number, sequence: number) =>
      Buffer.from([0x06, 0x08, 0x04, reference >> 8, reference & 0xff, total, sequence]);

    it('joins UDH (8- and 16-bit reference) and sar_* parts, and logs each message once', async () => {
      const client = await bound();
      const partsOf8 = ['First part, ', 'second part, ', 'third.'];
      const grown = await growth(async () => {
        // Out of order on purpose.
        for (const sequence of [2, 3, 1])
          await client.submit('447700900131', {
            esm_class: 0x40,
            short_message: Buffer.concat([udh8(0x17, 3, sequence), Buffer.from(partsOf8[sequence - 1]!)]),
          });
        for (const [sequence, text] of [
          [1, 'Привет, '],
          [2, 'мир 😀'],
        ] as const)
          await client.submit('447700900132', {
            esm_class: 0x40,
            data_coding: 8,
            short_message: Buffer.concat([udh16(0x1234, 2, sequence), Buffer.from(text, 'utf16le').swap16()]),
          });
        for (const [sequence, text] of [
          [1, 'sar one '],
          [2, 'sar two'],
        ] as const)
          await client.submit('447700900133', {
            short_message: Buffer.from(text),
            sar_msg_ref_num: 0x0102,
            sar_total_segments: 2,
            sar_segment_seqnum: sequence,
          });
      });
      expect(grown).toMatchObject({ submitsAccepted: 7, messagesAccepted: 3, duplicates: 0 });
      const [eight] = await sim.smscMessages({ to: '+447700900131' });
      expect(eight).toMatchObject({ text: 'First part, second part, third.', parts: 3 });
      expect(eight!.messageIds).toHaveLength(3);
      expect(await sim.smscMessages({ to: '+447700900132' })).toMatchObject([
        { text: 'Привет, мир 😀', parts: 2, dataCoding: 8 },
      ]);
      expect(await sim.smscMessages({ to: '+447700900133' })).toMatchObject([
        { text: 'sar one sar two', parts: 2 },
      ]);
      // Each part has its own receipt.
      await Promise.all(eight!.messageIds.map((id) => client.receiptFor(id)));
    });

    it('counts the same message with the same client reference as a duplicate', async () => {
      const client = await bound('transmitter');
      const send = (reference: number) =>
        client.submit('447700900134', {
          registered_delivery: 0,
          short_message: Buffer.from('once only'),
          user_message_reference: reference,
        });
      const grown = await growth(async () => {
        await send(7);
        await send(7);
        await send(8);
      });
      expect(grown).toMatchObject({ messagesAccepted: 3, duplicates: 1 });
      expect((await sim.smscMessages({ to: '+447700900134' })).map((message) => message.duplicate)).toEqual([
        false,
        true,
        false,
      ]);
    });
  });

  describe('deliver_sm to the ESME', () => {
    it('keeps receipts while no receiver is bound and sends them when one binds', async () => {
      // No receiver is bound (each test closes its sessions): what is pending can only grow.
      const before = (await sim.smscCounters()).deliveriesPending ?? 0;
      const transmitter = await bound('transmitter');
      const response = await transmitter.submit('447700900135');
      const messageId = String(response.message_id);
      await until((counters) => (counters.deliveriesPending ?? 0) > before);
      expect(transmitter.delivered).toEqual([]);
      const receiver = await bound('receiver');
      expect((await receiver.receiptFor(messageId)).message_state).toBe(2);
    });

    it('sends a receipt again when the ESME answers with an error or does not answer', async () => {
      const client = await bound();
      // Receipts earlier tests left queued come first: let them through.
      await until((counters) => counters.deliveriesPending === 0);
      let target: unknown;
      let seen = 0;
      client.answerDeliver = (pdu) => {
        if (pdu.receipted_message_id !== target) return Status.ROK;
        seen += 1;
        if (seen === 1) return 0x64; // ESME_RX_T_APPN: temporary, try again
        if (seen === 2) return undefined; // no answer at all
        return Status.ROK;
      };
      const grown = await growth(async () => {
        const response = await client.submit('447700900136');
        target = response.message_id;
        await client.waitFor(() => seen >= 3);
        await until((counters) => counters.deliveriesPending === 0);
      });
      expect(grown).toMatchObject({
        receiptsSent: 3,
        receiptsErrors: 1,
        receiptsUnanswered: 1,
        receiptsAcked: 1,
      });
    });

    it('sends a deliver_sm left unanswered by an ESME that died to the next receiver', async () => {
      const dying = await bound('receiver');
      await until((counters) => counters.deliveriesPending === 0);
      dying.answerDeliver = () => undefined;
      const grown = await growth(async () => {
        await sim.inbound({ from: '+447700900777', to: '+14155550100', text: 'do not lose me' });
        await dying.waitFor((pdu) => textOf(pdu) === 'do not lose me');
        await dying.close();
        const next = await bound('receiver');
        await next.waitFor((pdu) => textOf(pdu) === 'do not lose me');
        await until((counters) => counters.deliveriesPending === 0);
      });
      expect(grown.inboundAcked).toBe(1);
      expect(grown.inboundSent).toBeGreaterThanOrEqual(2);
    });

    it('drops a deliver_sm the ESME refuses for good (ESME_RX_P_APPN)', async () => {
      const client = await bound('receiver');
      await until((counters) => counters.deliveriesPending === 0);
      client.answerDeliver = (pdu) => (textOf(pdu) === 'refuse me' ? Status.RX_P_APPN : Status.ROK);
      const grown = await growth(async () => {
        await sim.inbound({ from: '+447700900777', to: '+14155550100', text: 'refuse me' });
        await client.waitFor((pdu) => textOf(pdu) === 'refuse me');
        await until((counters) => counters.deliveriesPending === 0);
      });
      expect(grown).toMatchObject({ inboundAccepted: 1, inboundSent: 1, inboundRefused: 1, inboundAcked: 0 });
    });

    it('delivers an inbound message posted over HTTP, long texts as concatenated parts', async () => {
      const queued = await sim.inbound({
        from: '+447700900777',
        to: '+14155550100',
        text: 'Queued before bind',
      });
      expect(queued).toMatchObject({ id: expect.any(String), parts: 1 });
      const client = await bound('receiver');
      const first = await client.waitFor(
        (pdu) => pdu.esm_class === 0 && textOf(pdu) === 'Queued before bind',
      );
      expect(first).toMatchObject({
        source_addr: '447700900777',
        destination_addr: '14155550100',
        data_coding: 0,
      });

      const long = `${'Lorem ipsum dolor sit amet. '.repeat(7)}{end}`;
      expect(await sim.inbound({ from: '+447700900777', to: '+14155550100', text: long })).toMatchObject({
        parts: 2,
      });
      const isPart = (pdu: Pdu) => (pdu.esm_class as number) === 0x40;
      await client.waitFor((pdu) => client.delivered.filter(isPart).length === 2 && isPart(pdu));
      const parts = client.delivered.filter(isPart);
      const decoded = parts.map((pdu) => pdu.short_message as { udh: Buffer[]; message: string });
      expect(decoded.map(({ udh }) => [...udh[0]!.subarray(3)])).toEqual([
        [2, 1],
        [2, 2],
      ]);
      expect(decoded.map(({ message }) => message).join('')).toBe(long);

      await sim.inbound({ from: '+447700900777', to: '+14155550100', text: 'Привет' });
      const ucs2 = await client.waitFor((pdu) => pdu.data_coding === 8);
      expect(textOf(ucs2)).toBe('Привет');
      await until((counters) => counters.deliveriesPending === 0);
    });
  });

  describe('outage', () => {
    it('drops every session when an outage starts and accepts binds again when it ends', async () => {
      const client = await bound();
      await sim.outage(30);
      await client.closed;
      const during = await TestEsme.connect(sim.smpp);
      await during.closed;
      await sim.clearOutage();
      await bound();
    });
  });
});
