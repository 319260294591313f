// Erasure of call records where the tenant's law obliges keeping traffic data (issue 12, "anonymise-and-keep"):
// calls carried by the carrier simulator and older ones stored as the CDR endpoint stores them, erased with
// and without the obligation, found again by the keyed hash, and kept by the retention only as long as the law.
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'drizzle-orm';
import {
  call,
  createLogger,
  ensurePartitions,
  exportPages,
  identifierHashes,
  matchingHashes,
  valueHashes,
  withTenant,
  type ExportRecord,
  type JobContext,
  type SubjectIdentifiers,
} from '@parley/kit';
import { messagingV1 } from '@parley/proto';
import { TEST_SUBJECT_HASH_KEY, as } from '../../../../tests/support/callers';
import { eventually } from '../../../../tests/support/grpc';
import { CDR_PATH } from '../../src/carrier/cdrEndpoint';
import { PARTITIONED, type KeptCallRow } from '../../src/db/schema';
import { QUEUES } from '../../src/deps';
import { makeMetadataRetention } from '../../src/jobs/retention';
import { messagingParticipant } from '../../src/privacy';
import { startMessaging, type MessagingUnderTest } from './messagingForTests';

const DAY_MS = 86_400_000;
const ITALY = { days: 2190, law: 'IT D.Lgs. 196/2003 art. 132 (six years)' };
const log = createLogger({ service: 'test', version: 'test', level: 'silent' });

let under: MessagingUnderTest;
let sequence = 0;
/** A phone nobody else in this file uses. */
const nextPhone = () => `+44740055${String(1000 + ++sequence).padStart(4, '0')}`;
const person = (phones: string[], accountIds: string[] = []): SubjectIdentifiers => ({
  accountIds,
  emails: [],
  phones,
  userIds: [],
});

beforeAll(async () => {
  under = await startMessaging();
});
afterAll(async () => {
  await under?.stop();
});
afterEach(() => {
  under.messaging.app.deps.now = () => new Date();
});

const deps = () => under.messaging.app.deps;
const participant = () => messagingParticipant(deps());
const contextOf = (tenantId: string, subject: SubjectIdentifiers) => ({
  tenantId,
  hashes: matchingHashes(deps().subjectHashKeys, tenantId, subject),
  currentHashes: identifierHashes(deps().subjectHashKeys, tenantId, subject),
  log,
});
const erase = (tenantId: string, subject: SubjectIdentifiers) =>
  withTenant(deps().db, tenantId, (tx) => participant().erase(tx, subject, contextOf(tenantId, subject)));
const lineOf = (receipt: { category: string }[], category: string) =>
  receipt.find((line) => line.category === category);
const exported = async (tenantId: string, subject: SubjectIdentifiers) => {
  const records: ExportRecord[] = [];
  for await (const page of exportPages(deps().db, participant(), subject, contextOf(tenantId, subject), 3))
    records.push(...page);
  return records;
};
const keptCalls = (tenantId: string) =>
  withTenant(
    deps().db,
    tenantId,
    async (tx) =>
      (await tx.execute<Record<string, unknown>>(sql`select * from kept_calls order by started_at, id`)).rows,
  );
const callCount = (tenantId: string) =>
  withTenant(deps().db, tenantId, async (tx) =>
    Number((await tx.execute<{ n: number }>(sql`select count(*)::int as n from calls`)).rows[0]!.n),
  );
const keptNaming = (tenantId: string, phone: string) =>
  withTenant(deps().db, tenantId, (tx) =>
    deps().calls.keptNaming(tx, deps().subjectHashKeys, tenantId, phone),
  );
const phoneHash = (tenantId: string, phone: string) =>
  valueHashes(deps().subjectHashKeys, tenantId, 'phone', phone)[0]!;

/** A tenant with a number, keeping recordings, with the traffic-data obligation given (none: null). */
async function tenantWith(obligation: { days: number; law: string } | null) {
  const tenantId = `kept-${randomUUID().slice(0, 8)}`;
  const number = await under.buyNumber(tenantId);
  await under.updateSettings(
    tenantId,
    { recordingsAllowed: true, trafficDataRetention: obligation ?? undefined },
    ['recordings_allowed', 'traffic_data_retention'],
  );
  return { tenantId, number };
}

/** An inbound call from `caller` the simulator forwards to `target`, with a voicemail, stored through the CDR endpoint. */
async function forwardedCall(tenantId: string, number: string, caller: string, target: string) {
  const placed = await under.carrier.placeCall({
    callbackUrl: `${under.messaging.app.cdrEndpoint()!.url}${CDR_PATH}`,
    direction: 'inbound',
    from: caller,
    to: number,
    forwardedTo: target,
    callerId: caller,
    externalCallerId: caller,
    disposition: 'answered',
    durationSeconds: 42,
    recording: { kind: 'voicemail', durationSeconds: 20, consent: true },
  });
  return eventually('the call to be stored', async () => {
    const { calls } = await call(
      under.client,
      under.client.listCalls,
      {
        pageSize: 10,
        pageToken: '',
        phoneNumber: caller,
        direction: messagingV1.Direction.DIRECTION_UNSPECIFIED,
        disposition: '',
      },
      await as(tenantId, ['calls:read']),
    );
    if (calls.length === 0) throw new Error('not yet');
    return { record: calls[0]!, recordingUrl: placed.cdr.recording!.url };
  });
}

/** A call as the CDR endpoint stores it, started `daysAgo` days ago (an app call from an account, when given). */
async function storedCall(
  tenantId: string,
  call: {
    from: string;
    to: string;
    direction: 'inbound' | 'outbound';
    daysAgo: number;
    accountId?: string;
    clientIp?: string;
  },
) {
  const id = randomUUID();
  const startedAt = new Date(Date.now() - call.daysAgo * DAY_MS).toISOString();
  await withTenant(deps().db, tenantId, (tx) =>
    tx.execute(sql`insert into calls (tenant_id, id, account_id, carrier_call_id, direction, from_e164, to_e164,
                                      caller_id_presented, started_at, ended_at, duration_seconds, disposition, client_ip)
                   values (${tenantId}, ${id}, ${call.accountId ?? null}, ${`CA${id.replaceAll('-', '')}`},
                           ${call.direction}, ${call.from}, ${call.to}, ${call.from}, ${startedAt},
                           ${startedAt}::timestamptz + interval '30 seconds', 30, 'answered', ${call.clientIp ?? null})`),
  );
  return id;
}

describe('erasure of call records without an obligation to keep traffic data', () => {
  it('deletes them, as before, and keeps nothing', async () => {
    const { tenantId, number } = await tenantWith(null);
    const ann = nextPhone();
    await forwardedCall(tenantId, number, ann, nextPhone());
    await storedCall(tenantId, { from: ann, to: number, direction: 'inbound', daysAgo: 3 });
    const receipt = await erase(tenantId, person([ann]));
    expect(lineOf(receipt, 'call_records')).toMatchObject({
      deleted: '2',
      anonymised: '0',
      kept: '0',
      keptBasis: '',
    });
    expect(lineOf(receipt, 'call_recordings')).toMatchObject({ deleted: '1' });
    expect(await keptCalls(tenantId)).toEqual([]);
    expect(await callCount(tenantId)).toBe(0);
    expect(await keptNaming(tenantId, ann)).toEqual([]);
  });
});

describe('erasure of call records under an obligation to keep traffic data', () => {
  it("anonymises and keeps the calls within the law's period, deletes older ones and every recording, and says so in the receipt", async () => {
    const { tenantId, number } = await tenantWith(ITALY);
    const ann = nextPhone();
    const bob = nextPhone();
    const carol = nextPhone();
    const account = `acct-${randomUUID().slice(0, 8)}`;
    const { record, recordingUrl } = await forwardedCall(tenantId, number, ann, bob);
    // An app call Ann's account placed to Carol last year, and one from Ann older than the law keeps.
    await storedCall(tenantId, {
      from: number,
      to: carol,
      direction: 'outbound',
      daysAgo: 400,
      accountId: account,
      clientIp: '203.0.113.7',
    });
    await storedCall(tenantId, { from: ann, to: number, direction: 'inbound', daysAgo: ITALY.days + 2 });

    const receipt = await erase(tenantId, person([ann], [account]));
    expect(lineOf(receipt, 'call_records')).toEqual(
      expect.objectContaining({
        deleted: '1',
        anonymised: '2',
        kept: '2',
        keptBasis: `legal obligation: ${ITALY.law}`,
      }),
    );
    expect(lineOf(receipt, 'call_recordings')).toMatchObject({ deleted: '1', kept: '0' });
    expect(await callCount(tenantId)).toBe(0);
    // The carrier is asked to delete the voicemail, kept record or not.
    const media = () => fetch(recordingUrl, { headers: { authorization: `Bearer ${under.carrier.apiKey}` } });
    await eventually('the carrier to delete the voicemail', async () => {
      if ((await media()).status !== 404) throw new Error('still there');
    });

    const kept = await keptCalls(tenantId);
    expect(JSON.stringify(kept)).not.toContain(ann);
    expect(JSON.stringify(kept)).not.toContain(account);
    expect(JSON.stringify(kept)).not.toContain('203.0.113.7');
    const [app, forwarded] = kept;
    // Ann's forwarded call: her numbers are her keyed hash; times, duration, disposition, the tenant's number
    // and the forwarding target (Bob's, not hers) stay.
    expect(forwarded).toMatchObject({
      id: record.id,
      from_e164: phoneHash(tenantId, ann),
      caller_id_presented: phoneHash(tenantId, ann),
      external_caller_id: phoneHash(tenantId, ann),
      to_e164: number,
      forwarded_to: bob,
      duration_seconds: 42,
      disposition: 'answered',
      anonymised_fields: ['from', 'callerIdPresented', 'externalCallerId'],
      kept_basis: ITALY.law,
    });
    expect(new Date(forwarded!.started_at as string).toISOString()).toBe(record.startedAt!.toISOString());
    expect(new Date(forwarded!.kept_until as string).getTime()).toBe(
      record.startedAt!.getTime() + ITALY.days * DAY_MS,
    );
    // Her account's app call: the account and the client IP are hashes; Carol's number stays.
    expect(app).toMatchObject({
      from_e164: number,
      to_e164: carol,
      account_id: valueHashes(deps().subjectHashKeys, tenantId, 'account', account)[0],
      client_ip: valueHashes(deps().subjectHashKeys, tenantId, 'ip', '203.0.113.7')[0],
      anonymised_fields: ['accountId', 'clientIp'],
    });

    // They are no longer hers: her export holds no call record. A lawful request presenting her number
    // still finds hers by the keyed hash.
    expect(
      (await exported(tenantId, person([ann], [account]))).filter((r) => r.category.startsWith('call_')),
    ).toEqual([]);
    expect((await keptNaming(tenantId, ann)).map((row: KeptCallRow) => row.id)).toEqual([record.id]);
    expect(await keptNaming(tenantId, nextPhone())).toEqual([]);

    // Bob is still named in it: it is in his export (Ann's identifiers not shown), and his own erasure
    // anonymises him there too, kept under the same law.
    const bobs = (await exported(tenantId, person([bob]))).filter((r) => r.category === 'call_records');
    expect(bobs.map((r) => r.record)).toEqual([
      expect.objectContaining({
        callId: record.id,
        from: null,
        callerIdPresented: null,
        forwardedTo: bob,
        to: number,
      }),
    ]);
    const bobReceipt = await erase(tenantId, person([bob]));
    expect(lineOf(bobReceipt, 'call_records')).toMatchObject({
      deleted: '0',
      anonymised: '1',
      kept: '1',
      keptBasis: `legal obligation: ${ITALY.law}`,
    });
    const [, again] = await keptCalls(tenantId);
    expect(again).toMatchObject({
      forwarded_to: phoneHash(tenantId, bob),
      anonymised_fields: ['from', 'callerIdPresented', 'externalCallerId', 'forwardedTo'],
    });
    expect((await exported(tenantId, person([bob]))).filter((r) => r.category === 'call_records')).toEqual(
      [],
    );
    expect((await keptNaming(tenantId, bob)).map((row: KeptCallRow) => row.id)).toEqual([record.id]);
  });

  it("keeps every one of an account's many calls once, anonymised", async () => {
    const { tenantId, number } = await tenantWith(ITALY);
    const account = `acct-${randomUUID().slice(0, 8)}`;
    const total = 1234;
    await withTenant(deps().db, tenantId, (tx) =>
      tx.execute(sql`insert into calls (tenant_id, id, account_id, carrier_call_id, direction, from_e164, to_e164,
                                        started_at, ended_at, duration_seconds, disposition, client_ip)
                     select ${tenantId}, gen_random_uuid(), ${account}, 'CA' || md5(random()::text), 'outbound',
                            ${number}, '+4474005' || lpad(n::text, 5, '0'), now() - n * interval '1 minute',
                            now() - n * interval '1 minute' + interval '5 seconds', 5, 'answered', '198.51.100.1'
                     from generate_series(1, ${total}) as n`),
    );
    const receipt = await erase(tenantId, person([], [account]));
    expect(lineOf(receipt, 'call_records')).toMatchObject({
      deleted: '0',
      anonymised: String(total),
      kept: String(total),
    });
    const counts = await withTenant(
      deps().db,
      tenantId,
      async (tx) =>
        (
          await tx.execute<{ kept: number; distinct: number; theirs: number }>(
            sql`select count(*)::int as kept, count(distinct id)::int as distinct,
                     count(*) filter (where account_id = ${account} or client_ip = '198.51.100.1')::int as theirs
              from kept_calls`,
          )
        ).rows[0],
    );
    expect(counts).toEqual({ kept: total, distinct: total, theirs: 0 });
    expect(await callCount(tenantId)).toBe(0);
  });

  it('matches a kept record by a number hashed under a subject hash key since rotated', async () => {
    const { tenantId, number } = await tenantWith(ITALY);
    const dan = nextPhone();
    await storedCall(tenantId, { from: dan, to: number, direction: 'inbound', daysAgo: 1 });
    await erase(tenantId, person([dan]));
    const rotated = {
      current: 'a-new-subject-hash-key-of-32-characters!',
      previous: [TEST_SUBJECT_HASH_KEY],
    };
    const found = await withTenant(deps().db, tenantId, (tx) =>
      deps().calls.keptNaming(tx, rotated, tenantId, dan),
    );
    expect(found).toHaveLength(1);
  });
});

describe('retention of kept call records', () => {
  /** Runs the platform's daily metadata retention once, now (its clock is deps.now). */
  const metadataRetention = () =>
    makeMetadataRetention(
      deps(),
      under.messaging.app.runtime.pool,
    )({
      data: {},
      id: randomUUID(),
      queue: 'test',
      retryCount: 0,
      retryLimit: 0,
      createdOn: new Date(),
      log,
      signal: new AbortController().signal,
    } as JobContext<Record<string, never>>);
  const travel = (days: number) => {
    deps().now = () => new Date(Date.now() + days * DAY_MS);
  };

  it("keeps them through the metadata retention until the law's days have passed, then deletes them", async () => {
    const { tenantId, number } = await tenantWith({ days: 30, law: 'a thirty-day law (test)' });
    const eve = nextPhone();
    await storedCall(tenantId, { from: eve, to: number, direction: 'inbound', daysAgo: 10 });
    await erase(tenantId, person([eve]));
    expect(await keptCalls(tenantId)).toHaveLength(1);
    // Even with the tenant's metadata retention at one day, and twenty days later (ten left).
    await under.updateSettings(tenantId, { metadataRetentionDays: 1 }, ['metadata_retention_days']);
    travel(19);
    await metadataRetention();
    expect(await keptCalls(tenantId)).toHaveLength(1);
    travel(21);
    await metadataRetention();
    expect(await keptCalls(tenantId)).toEqual([]);
  });

  it("is kept by the privacy service's retention purge until the law's days have passed, then purged", async () => {
    const { tenantId, number } = await tenantWith({ days: 30, law: 'a thirty-day law (test)' });
    const fay = nextPhone();
    await storedCall(tenantId, { from: fay, to: number, direction: 'inbound', daysAgo: 10 });
    await erase(tenantId, person([fay]));
    const purge = () =>
      withTenant(deps().db, tenantId, (tx) =>
        participant().purge(tx, 'call_records', new Date(Date.now() + DAY_MS), { tenantId, log }),
      );
    travel(19);
    expect((await purge())[0]).toMatchObject({ deleted: '0' });
    expect(await keptCalls(tenantId)).toHaveLength(1);
    travel(21);
    expect((await purge())[0]).toMatchObject({ deleted: '1' });
    expect(await keptCalls(tenantId)).toEqual([]);
  });

  it("deletes at erasure a call older than the law's period", async () => {
    const { tenantId, number } = await tenantWith({ days: 30, law: 'a thirty-day law (test)' });
    const gus = nextPhone();
    await storedCall(tenantId, { from: gus, to: number, direction: 'inbound', daysAgo: 10 });
    travel(21);
    const receipt = await erase(tenantId, person([gus]));
    expect(lineOf(receipt, 'call_records')).toMatchObject({ deleted: '1', anonymised: '0', kept: '0' });
    expect(await keptCalls(tenantId)).toEqual([]);
  });
});

describe('retention of every call record under an obligation to keep traffic data', () => {
  /** Tenants keeping metadata 30 days, one under a 400-day law, each with a call and a message 100 days old. */
  async function seeded() {
    const tenants = {
      obliged: await tenantWith({ days: 400, law: 'a four-hundred-day law (test)' }),
      free: await tenantWith(null),
    };
    for (const { tenantId } of Object.values(tenants))
      await under.updateSettings(tenantId, { metadataRetentionDays: 30 }, ['metadata_retention_days']);
    return tenants;
  }
  async function oldCallAndMessage(tenantId: string, number: string) {
    const at = new Date(Date.now() - 100 * DAY_MS).toISOString();
    await withTenant(deps().db, tenantId, async (tx) => {
      const id = randomUUID();
      await tx.execute(sql`insert into messages (tenant_id, id, direction, from_e164, to_e164, encoding, segments,
                                                 status, expires_at, created_at, updated_at)
                           values (${tenantId}, ${id}, 'outbound', ${number}, ${nextPhone()}, 'GSM-7', 1,
                                   'delivered', ${at}, ${at}, ${at})`);
      await tx.execute(sql`insert into message_status_history (tenant_id, message_id, message_created_at, seq, status, at)
                           values (${tenantId}, ${id}, ${at}, 1, 'delivered', ${at})`);
    });
    return storedCall(tenantId, { from: nextPhone(), to: number, direction: 'inbound', daysAgo: 100 });
  }
  const messageCount = (tenantId: string) =>
    withTenant(deps().db, tenantId, async (tx) =>
      Number((await tx.execute<{ n: number }>(sql`select count(*)::int as n from messages`)).rows[0]!.n),
    );
  const callIds = (tenantId: string) =>
    withTenant(
      deps().db,
      tenantId,
      async (tx) => (await tx.execute<{ id: string }>(sql`select id from calls order by id`)).rows,
    );

  it("keeps a tenant's calls through the metadata retention for the law's days while its messages go; without the law they go", async () => {
    const { obliged, free } = await seeded();
    const kept = await oldCallAndMessage(obliged.tenantId, obliged.number);
    await oldCallAndMessage(free.tenantId, free.number);
    const recent = await storedCall(free.tenantId, {
      from: nextPhone(),
      to: free.number,
      direction: 'inbound',
      daysAgo: 20,
    });
    const { pool, jobs } = under.messaging.app.runtime;
    for (const spec of Object.values(PARTITIONED)) await ensurePartitions(pool, spec, { behind: 14 });

    // The platform's pass queues both tenants (their metadata retention is shorter than the longest), and
    // each tenant's delete runs at its own retentions.
    await jobs.send(QUEUES.metadataRetention, {});
    await eventually("both tenants' old messages to be deleted", async () => {
      if ((await messageCount(obliged.tenantId)) + (await messageCount(free.tenantId)) > 0)
        throw new Error('not yet');
    });
    expect(await callIds(obliged.tenantId)).toEqual([{ id: kept }]);
    expect(await callIds(free.tenantId)).toEqual([{ id: recent }]);
    // The months of calls the law still keeps stay, though no tenant keeps metadata that long: the month
    // about thirteen months back is within 400 days.
    const month = new Date();
    month.setUTCDate(1);
    month.setUTCMonth(month.getUTCMonth() - 13);
    const name = `calls_p${month.getUTCFullYear()}${String(month.getUTCMonth() + 1).padStart(2, '0')}`;
    const partitions = await pool.query(`select 1 from pg_class where relname = $1`, [name]);
    expect(partitions.rowCount).toBe(1);
  });

  it("keeps a tenant's calls through the privacy service's retention purge for the law's days while its messages go; without the law they go", async () => {
    const { obliged, free } = await seeded();
    const kept = await oldCallAndMessage(obliged.tenantId, obliged.number);
    await oldCallAndMessage(free.tenantId, free.number);
    // A run whose policy cuts at tomorrow: everything the tenant's own settings do not keep longer goes.
    const purge = (tenantId: string, category: string) =>
      withTenant(deps().db, tenantId, (tx) =>
        participant().purge(tx, category, new Date(Date.now() + DAY_MS), { tenantId, log }),
      );
    for (const { tenantId } of [obliged, free]) {
      await purge(tenantId, 'message_metadata');
      await purge(tenantId, 'call_records');
      expect(await messageCount(tenantId)).toBe(0);
    }
    expect(await callIds(obliged.tenantId)).toEqual([{ id: kept }]);
    expect(await callIds(free.tenantId)).toEqual([]);

    // Past the law's days the obliged tenant's call goes too.
    deps().now = () => new Date(Date.now() + 301 * DAY_MS);
    await withTenant(deps().db, obliged.tenantId, (tx) =>
      participant().purge(tx, 'call_records', new Date(Date.now() + 302 * DAY_MS), {
        tenantId: obliged.tenantId,
        log,
      }),
    );
    expect(await callIds(obliged.tenantId)).toEqual([]);
  });
});
