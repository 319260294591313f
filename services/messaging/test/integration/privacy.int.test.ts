// Messaging as a privacy participant: the kit's conformance suite, then real messages sent over SMPP to the
// carrier simulator, exported and erased for one person while another's stay.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'drizzle-orm';
import { status } from '@grpc/grpc-js';
import type { messagingV1 } from '@parley/proto';
import {
  createLogger,
  ensurePartitions,
  exportPages,
  identifierHashes,
  matchingHashes,
  setRestricted,
  withTenant,
  type ExportRecord,
  type SubjectIdentifiers,
} from '@parley/kit';
import { describeParticipantConformance } from '../../../kit/src/privacy/conformance';
import { TEST_SUBJECT_HASH_KEY } from '../../../../tests/support/callers';
import { expectStatus } from '../../../../tests/support/grpc';
import { PARTITIONED } from '../../src/db/schema';
import { messagingParticipant } from '../../src/privacy';
import { startMessaging, type MessagingUnderTest } from './messagingForTests';

// One messaging (with numbering and the simulator) for the whole file; stopped after every block ran.
let started: Promise<MessagingUnderTest> | undefined;
const underTest = () =>
  (started ??= startMessaging({
    env: { WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_RETRY_BASE_SECONDS: '3600' },
  }));
afterAll(async () => {
  await (await started)?.stop();
});

/** Nobody listens here: deliveries stay in the table, retried later. */
const HOOK = 'https://127.0.0.1:9/hook';
let sequence = 0;
const nextPhone = () => `+44770091${String(1000 + ++sequence).padStart(4, '0')}`;
const subjectOf = (phone: string, accountIds: string[] = []): SubjectIdentifiers => ({
  accountIds,
  emails: [],
  phones: [phone],
  userIds: [],
});

/** A message about `phone` in the tenant, as the send path stores it, with history and a webhook delivery. */
async function storeMessage(
  under: MessagingUnderTest,
  tenantId: string,
  message: { from: string; to: string; direction: 'outbound' | 'inbound'; accountId?: string; at?: Date },
) {
  const id = randomUUID();
  const at = message.at ?? new Date();
  await withTenant(under.messaging.app.runtime.db, tenantId, async (tx) => {
    await tx.execute(sql`insert into messages (tenant_id, id, account_id, direction, from_e164, to_e164, body,
                                               media_urls, encoding, segments, status, expires_at, created_at, updated_at)
                         values (${tenantId}, ${id}, ${message.accountId ?? null}, ${message.direction},
                                 ${message.from}, ${message.to}, 'See you at 5', ${sql.raw(`ARRAY['https://media.example/a.jpg']`)},
                                 'GSM-7', 1, ${message.direction === 'inbound' ? 'received' : 'delivered'}, ${at.toISOString()}::timestamptz + interval '4 hours',
                                 ${at.toISOString()}, ${at.toISOString()})`);
    await tx.execute(sql`insert into message_status_history (tenant_id, message_id, message_created_at, seq, status, at)
                         values (${tenantId}, ${id}, ${at.toISOString()}, 1, 'delivered', ${at.toISOString()})`);
    const payload = {
      type: 'messaging.message.delivered',
      timestamp: at.toISOString(),
      data: { id, status: 'delivered', from: message.from, to: message.to, segments: 1 },
    };
    await tx.execute(sql`insert into webhook_deliveries (id, tenant_id, url, type, payload, status)
                         values (${randomUUID()}, ${tenantId}, ${HOOK}, 'messaging.message.delivered',
                                 ${JSON.stringify(payload)}::jsonb, 'delivered')`);
  });
  return id;
}

/** A call record between `phone` and a tenant number, with a voicemail reference, as the CDR endpoint stores it. */
async function storeCall(under: MessagingUnderTest, tenantId: string, phone: string, tenantNumber: string) {
  const id = randomUUID();
  const startedAt = new Date(Date.now() - 120_000).toISOString();
  await withTenant(under.messaging.app.runtime.db, tenantId, async (tx) => {
    await tx.execute(sql`insert into calls (tenant_id, id, carrier_call_id, direction, from_e164, to_e164, forwarded_to,
                                            caller_id_presented, external_caller_id, started_at, ended_at,
                                            duration_seconds, disposition)
                         values (${tenantId}, ${id}, ${`CA${id.replaceAll('-', '')}`}, 'inbound', ${phone}, ${tenantNumber},
                                 '+14155550197', ${phone}, ${phone}, ${startedAt}, now(), 0, 'no_answer')`);
    await tx.execute(sql`insert into call_recordings (tenant_id, call_id, call_started_at, id, carrier_recording_id,
                                                      kind, url, duration_seconds, channels, consent)
                         values (${tenantId}, ${id}, ${startedAt}, ${randomUUID()}, 'RE1', 'voicemail',
                                 'https://carrier.example/v1/recordings/RE1', 30, 1, true)`);
  });
  return id;
}

/**
 * What receiving leaves about `phone`: their inbound message forwarded to a target and its forwarded copy,
 * a part of a message still waiting for its siblings, and their opt-out of the tenant's number.
 */
async function storeInboundTraces(
  under: MessagingUnderTest,
  tenantId: string,
  phone: string,
  number: string,
) {
  const deps = under.messaging.app.deps;
  await withTenant(deps.db, tenantId, async (tx) => {
    const target = nextPhone();
    const inbound = await storeMessage(under, tenantId, { from: phone, to: number, direction: 'inbound' });
    await tx.execute(
      sql`update messages set forwarded_to = ${target}, keyword = 'STOP' where id = ${inbound}`,
    );
    const copy = await storeMessage(under, tenantId, { from: number, to: target, direction: 'outbound' });
    await tx.execute(sql`update messages set forwarded_from = ${phone} where id = ${copy}`);
    await deps.inboundParts.add(
      tx,
      {
        tenantId,
        groupKey: randomUUID(),
        seq: 1,
        total: 2,
        from: phone,
        to: number,
        encoding: 'GSM-7',
        text: 'first half of a long message',
      },
      60_000,
    );
    const subject = subjectOf(phone);
    await deps.optOuts.record(tx, {
      tenantId,
      number,
      hashes: matchingHashes(deps.subjectHashKeys, tenantId, subject),
      currentHash: identifierHashes(deps.subjectHashKeys, tenantId, subject)[0]!,
      optedOut: true,
      keyword: 'STOP',
      sourceMessageId: inbound,
    });
  });
}

/** The kit's conformance suite on a tenant of its own, with the obligation to keep traffic data given. */
const conformance = (name: string, tenantId: string, obligation?: messagingV1.TrafficDataRetention) =>
  describeParticipantConformance(name, async () => {
    const under = await underTest();
    if (obligation)
      await under.updateSettings(tenantId, { trafficDataRetention: obligation }, ['traffic_data_retention']);
    return {
      participant: messagingParticipant(under.messaging.app.deps),
      db: under.messaging.app.runtime.db,
      tenantId,
      secret: TEST_SUBJECT_HASH_KEY,
      seed: async (label) => {
        // A person written to and writing back, and an account holder whose number sent a message.
        const phone = nextPhone();
        const tenantNumber = nextPhone();
        const accountId = `acct-${label}-${randomUUID().slice(0, 8)}`;
        await storeMessage(under, tenantId, { from: tenantNumber, to: phone, direction: 'outbound' });
        await storeMessage(under, tenantId, { from: phone, to: tenantNumber, direction: 'inbound' });
        await storeMessage(under, tenantId, {
          from: nextPhone(),
          to: nextPhone(),
          direction: 'outbound',
          accountId,
        });
        await storeInboundTraces(under, tenantId, phone, tenantNumber);
        await storeCall(under, tenantId, phone, tenantNumber);
        return subjectOf(phone, [accountId]);
      },
      teardown: async () => {}, // the file's afterAll stops it
    };
  });

conformance('messaging (messages, forwarding, opt-outs, webhook deliveries, calls)', 'conf');
// Where the tenant's law obliges keeping traffic data, erasure anonymises and keeps the call records.
conformance(
  'messaging, under an obligation to keep traffic data (call records anonymised and kept)',
  'conf-kept',
  {
    days: 2190,
    law: 'IT D.Lgs. 196/2003 art. 132',
  },
);

describe('messaging: a data-subject request on real traffic', () => {
  let under: MessagingUnderTest;
  let from: string;
  const tenant = `p-${randomUUID().slice(0, 8)}`;
  const log = createLogger({ service: 'test', version: 'test', level: 'silent' });
  const participant = () => messagingParticipant(under.messaging.app.deps);
  const db = () => under.messaging.app.runtime.db;
  const context = { tenantId: tenant, hashes: [], currentHashes: [], log };

  beforeAll(async () => {
    under = await underTest();
    from = await under.buyNumber(tenant);
    // The export below reads the messages' text after they were delivered: this tenant keeps it.
    await under.updateSettings(tenant, { contentRetentionDays: 30 }, ['content_retention_days']);
    // Last month's partitions exist, so an old message lands in one rather than the default partition.
    for (const spec of Object.values(PARTITIONED))
      await ensurePartitions(under.messaging.app.runtime.pool, spec, { behind: 2 });
  });

  const exported = async (subject: SubjectIdentifiers, pageSize = 3) => {
    const records: ExportRecord[] = [];
    for await (const page of exportPages(db(), participant(), subject, context, pageSize)) {
      expect(page.length).toBeLessThanOrEqual(pageSize);
      records.push(...page);
    }
    return records;
  };
  const erase = (subject: SubjectIdentifiers, hold?: string) =>
    withTenant(db(), tenant, (tx) =>
      participant().erase(tx, subject, {
        ...context,
        ...(hold ? { hold } : {}),
      }),
    );
  /** Rows naming `phone` in every table messaging keeps, across partitions. */
  const rowsAbout = (phone: string) =>
    withTenant(db(), tenant, async (tx) => {
      const one = async (query: ReturnType<typeof sql>) =>
        Number((await tx.execute<{ n: number }>(query)).rows[0]!.n);
      const theirs = sql`(select id from messages where from_e164 = ${phone} or to_e164 = ${phone})`;
      return {
        messages: await one(sql`select count(*)::int as n from messages where id in ${theirs}`),
        history: await one(
          sql`select count(*)::int as n from message_status_history where message_id in ${theirs}`,
        ),
        parts: await one(sql`select count(*)::int as n from carrier_parts where message_id in ${theirs}`),
        deliveries: await one(
          sql`select count(*)::int as n from webhook_deliveries
              where payload -> 'data' ->> 'to' = ${phone} or payload -> 'data' ->> 'from' = ${phone}`,
        ),
        oldPartition: await one(
          sql`select count(*)::int as n from messages where id in ${theirs}
              and tableoid::regclass::text not in ('messages_default')
              and created_at < date_trunc('month', now())`,
        ),
      };
    });

  /** Sends real messages to `phone` with a status callback, and an older inbound one from them. */
  async function traffic(phone: string) {
    const ids: string[] = [];
    for (const body of ['First', 'Second']) {
      const sent = await under.send(tenant, { from, to: phone, body, statusCallback: HOOK });
      await under.reaches(tenant, sent.id, 'delivered');
      ids.push(sent.id);
    }
    const lastMonth = new Date(Date.now() - 40 * 86_400_000);
    ids.push(
      await storeMessage(under, tenant, { from: phone, to: from, direction: 'inbound', at: lastMonth }),
    );
    return ids;
  }

  it("exports a person's messages in pages, then erases them with their history, part ids and webhooks, and nobody else's", async () => {
    const ann = nextPhone();
    const bob = nextPhone();
    const annIds = await traffic(ann);
    await traffic(bob);
    const bobBefore = await rowsAbout(bob);
    const annBefore = await rowsAbout(ann);
    expect(annBefore).toMatchObject({ messages: 3, oldPartition: 1 });
    expect(annBefore.history).toBeGreaterThanOrEqual(9); // queued, sending, sent, delivered ×2, and the inbound one
    expect(annBefore.parts).toBe(2);
    expect(annBefore.deliveries).toBeGreaterThanOrEqual(4); // sent and delivered of each send, and the inbound one

    const records = await exported(subjectOf(ann));
    const of = (category: string) => records.filter((record) => record.category === category);
    expect(
      of('message_metadata')
        .map((record) => (record.record as { messageId: string }).messageId)
        .sort(),
    ).toEqual([...annIds].sort());
    expect(
      of('message_content')
        .map((record) => (record.record as { body: string }).body)
        .sort(),
    ).toEqual(['First', 'Second', 'See you at 5']);
    const sentOne = of('message_metadata').find(
      (record) => (record.record as { messageId: string }).messageId === annIds[0],
    )!.record as { history: { status: string }[] };
    expect(sentOne.history.map((change) => change.status)).toEqual([
      'queued',
      'sending',
      'sent',
      'delivered',
    ]);
    expect(of('webhook_deliveries')).toHaveLength(annBefore.deliveries);
    expect(JSON.stringify(records)).not.toContain(bob);

    const receipt = await erase(subjectOf(ann));
    expect(receipt.map((line) => [line.category, line.deleted, line.kept])).toEqual([
      ['message_metadata', '3', '0'],
      ['message_content', '3', '0'],
      ['message_forwarding', '0', '0'],
      ['opt_outs', '0', '0'],
      ['webhook_deliveries', String(annBefore.deliveries), '0'],
      ['call_records', '0', '0'],
      ['call_recordings', '0', '0'],
    ]);
    expect(await rowsAbout(ann)).toEqual({
      messages: 0,
      history: 0,
      parts: 0,
      deliveries: 0,
      oldPartition: 0,
    });
    expect(await exported(subjectOf(ann))).toEqual([]);
    expect(await rowsAbout(bob)).toEqual(bobBefore);
  });

  it('keeps everything under a legal hold, and counts what a restriction covers', async () => {
    const cat = nextPhone();
    await traffic(cat);
    const before = await rowsAbout(cat);
    const receipt = await erase(subjectOf(cat), 'case 7');
    expect(receipt.map((line) => [line.category, line.deleted, line.kept, line.keptBasis])).toEqual([
      ['message_metadata', '0', '3', 'legal hold: case 7'],
      ['message_content', '0', '3', 'legal hold: case 7'],
      ['message_forwarding', '0', '0', 'legal hold: case 7'],
      ['opt_outs', '0', '0', 'legal hold: case 7'],
      ['webhook_deliveries', '0', String(before.deliveries), 'legal hold: case 7'],
      ['call_records', '0', '0', 'legal hold: case 7'],
      ['call_recordings', '0', '0', 'legal hold: case 7'],
    ]);
    expect(await rowsAbout(cat)).toEqual(before);
    const restricted = await withTenant(db(), tenant, (tx) =>
      participant().restrict(tx, subjectOf(cat), true, context),
    );
    expect(restricted.map((line) => [line.category, line.restricted])).toEqual([
      ['message_metadata', '3'],
      ['message_content', '3'],
      ['message_forwarding', '0'],
      ['opt_outs', '0'],
      ['webhook_deliveries', String(before.deliveries)],
      ['call_records', '0'],
      ['call_recordings', '0'],
    ]);
  });

  it('purges content past a retention and keeps the metadata; purges metadata across partitions', async () => {
    const dan = nextPhone();
    await traffic(dan);
    const purge = (category: string, before: Date) =>
      withTenant(db(), tenant, (tx) => participant().purge(tx, category, before, context));
    // Content older than a month: only the inbound message of last month loses its text.
    const monthAgo = new Date(Date.now() - 30 * 86_400_000);
    const [content] = await purge('message_content', monthAgo);
    expect(Number(content!.deleted)).toBeGreaterThanOrEqual(1);
    const left = await exported(subjectOf(dan));
    expect(left.filter((record) => record.category === 'message_metadata')).toHaveLength(3);
    expect(
      left
        .filter((record) => record.category === 'message_content')
        .map((record) => (record.record as { body: string }).body)
        .sort(),
    ).toEqual(['First', 'Second']);
    const [metadata] = await purge('message_metadata', monthAgo);
    expect(Number(metadata!.deleted)).toBeGreaterThanOrEqual(1);
    expect(await rowsAbout(dan)).toMatchObject({ messages: 2, oldPartition: 0 });
  });

  it('refuses to send to a recipient who restricted processing, stores nothing, and sends again once it is lifted', async () => {
    const eve = nextPhone();
    const restrict = (restricted: boolean) =>
      withTenant(db(), tenant, (tx) =>
        setRestricted(
          tx,
          tenant,
          (restricted ? identifierHashes : matchingHashes)(TEST_SUBJECT_HASH_KEY, tenant, subjectOf(eve)),
          restricted,
        ),
      );
    await restrict(true);
    const { message } = await expectStatus(
      under.send(tenant, { from, to: eve, body: 'Hello' }),
      status.FAILED_PRECONDITION,
      'PROCESSING_RESTRICTED',
    );
    expect(message).not.toContain(eve);
    expect(await rowsAbout(eve)).toMatchObject({ messages: 0 });
    // Another recipient is not held up.
    const other = await under.send(tenant, { from, to: nextPhone(), body: 'Hello' });
    await under.reaches(tenant, other.id, 'delivered');
    await restrict(false);
    const sent = await under.send(tenant, { from, to: eve, body: 'Hello again' });
    await under.reaches(tenant, sent.id, 'delivered');
    expect((await under.carrier.smscMessages({ to: eve })).map((accepted) => accepted.text)).toEqual([
      'Hello again',
    ]);
  });

  it('exports a subject with thousands of messages page by page, every one once, even when they share a timestamp to the microsecond', async () => {
    const fay = nextPhone();
    const total = 3000;
    await withTenant(db(), tenant, (tx) =>
      tx.execute(sql`insert into messages (tenant_id, id, direction, from_e164, to_e164, body, encoding, segments,
                                           status, expires_at, created_at, updated_at)
                     select ${tenant}, gen_random_uuid(), 'outbound', ${from}, ${fay}, 'bulk ' || n, 'GSM-7', 1,
                            'delivered', now() + interval '4 hours', now() - (n % 7) * interval '1 hour', now()
                     from generate_series(1, ${total}) as n`),
    );
    const seen = new Set<string>();
    let records = 0;
    const pageSize = 200;
    for await (const page of exportPages(db(), participant(), subjectOf(fay), context, pageSize)) {
      expect(page.length).toBeLessThanOrEqual(pageSize);
      records += page.length;
      for (const record of page)
        if (record.category === 'message_metadata')
          seen.add((record.record as { messageId: string }).messageId);
    }
    expect({ messages: seen.size, records }).toEqual({ messages: total, records: 2 * total });
  });
});
