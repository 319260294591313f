import { randomInt, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'drizzle-orm';
import {
  createDatabase,
  createLogger,
  createPool,
  identifierHashes,
  isErased,
  locateAssets,
  migrate,
  Outbox,
  PARKED_EVENTS_CATEGORY,
  participantTaskHandler,
  PrivacyAction,
  receiptLine,
  textArray,
  withTenant,
  type PrivacyParticipant,
  type SubjectIdentifiers,
  type Transaction,
} from '@parley/kit';
import { eventsV1, participantV1 } from '@parley/proto';
import { createTestDatabase, type TestDatabase } from '../../../../tests/support/infra';
import { describeParticipantConformance } from '../../src/privacy/conformance';

const SECRET = 'conformance-secret-0123456789abcdefghij';
const TENANT = 'calls-co';

/**
 * A participant like billing or messaging will be: contacts it may delete, and call records a
 * (test) telecom law obliges it to keep, so erasure anonymises them instead. It shows the
 * anonymise-and-keep path and how a late event about an erased subject is recognised and dropped.
 */
const callsParticipant: PrivacyParticipant = {
  name: 'calls',
  categories: [
    {
      id: 'contacts',
      description: 'Contact name and email',
      subjects: ['contacts'],
      purpose: 'Address book',
      legalBasis: 'contract',
      retention: 'while the tenant keeps them',
      legalObligation: '',
    },
    {
      id: 'call_records',
      description: 'Who called whom, when',
      subjects: ['callers'],
      purpose: 'Billing and lawful intercept',
      legalBasis: 'legal obligation',
      retention: '2 years',
      legalObligation: 'telecom data retention act (test)',
    },
  ],
  async *export(tx, subject) {
    const contacts = await tx.execute<{ email: string; name: string }>(
      sql`select email, name from test_contacts where email = any(${textArray(subject.emails)}) order by email`,
    );
    for (const row of contacts.rows) yield { category: 'contacts', record: row };
    const calls = await tx.execute<{ caller: string; callee: string }>(
      sql`select caller, callee from test_call_records where caller = any(${textArray(subject.phones)}) order by id`,
    );
    for (const row of calls.rows) yield { category: 'call_records', record: row };
  },
  async erase(tx, subject, context) {
    const contacts = sql`from test_contacts where email = any(${textArray(subject.emails)})`;
    const calls = sql`from test_call_records where caller = any(${textArray(subject.phones)})`;
    if (context.hold) {
      const [c, r] = await Promise.all([
        tx.execute<{ n: number }>(sql`select count(*)::int as n ${contacts}`),
        tx.execute<{ n: number }>(sql`select count(*)::int as n ${calls}`),
      ]);
      return [
        receiptLine('contacts', { kept: String(c.rows[0]!.n), keptBasis: `legal hold: ${context.hold}` }),
        receiptLine('call_records', { kept: String(r.rows[0]!.n), keptBasis: `legal hold: ${context.hold}` }),
      ];
    }
    const deleted = await tx.execute(sql`delete ${contacts}`);
    const anonymised = await tx.execute(
      sql`update test_call_records set caller = 'anonymised' where caller = any(${textArray(subject.phones)})`,
    );
    return [
      receiptLine('contacts', { deleted: String(deleted.rowCount ?? 0) }),
      receiptLine('call_records', {
        anonymised: String(anonymised.rowCount ?? 0),
        keptBasis: 'telecom data retention act (test)',
      }),
    ];
  },
  async rectify() {
    return [receiptLine('contacts'), receiptLine('call_records')];
  },
  async restrict(tx, subject) {
    const rows = await tx.execute<{ n: number }>(
      sql`select count(*)::int as n from test_contacts where email = any(${textArray(subject.emails)})`,
    );
    return [receiptLine('contacts', { restricted: String(rows.rows[0]!.n) }), receiptLine('call_records')];
  },
  async purge(tx, category, before) {
    if (category !== 'call_records') return [receiptLine(category)];
    const gone = await tx.execute(sql`delete from test_call_records where started_at < ${before}`);
    return [receiptLine('call_records', { deleted: String(gone.rowCount ?? 0) })];
  },
};

/** What a consumer of a "call recorded" event does: nothing at all for an erased caller. */
async function onCallRecorded(tx: Transaction, caller: string, callee: string): Promise<boolean> {
  const subject: SubjectIdentifiers = { accountIds: [], emails: [], phones: [caller], userIds: [] };
  if (await isErased(tx, TENANT, identifierHashes(SECRET, TENANT, subject))) return false;
  await tx.execute(
    sql`insert into test_call_records (tenant_id, caller, callee) values (${TENANT}, ${caller}, ${callee})`,
  );
  return true;
}

let database: TestDatabase;
const pool = () => createPool(database.url, 4);
let shared: ReturnType<typeof pool> | undefined;

async function setupDatabase() {
  database = await createTestDatabase('participant');
  shared = pool();
  const log = createLogger({ service: 'kit-test', version: 'test', level: 'silent' });
  await migrate(shared, [locateAssets(__dirname).migrations[0]!], { mode: 'apply', log });
  await shared.query(
    `create table test_contacts (tenant_id text not null, email text not null, name text not null)`,
  );
  await shared.query(
    `create table test_call_records (id bigserial primary key, tenant_id text not null, caller text not null, callee text not null, started_at timestamptz not null default now())`,
  );
  return createDatabase(shared);
}

describeParticipantConformance('a participant with a legal obligation to keep call records', async () => {
  const db = await setupDatabase();
  return {
    participant: callsParticipant,
    db,
    tenantId: TENANT,
    secret: SECRET,
    async seed(label) {
      const email = `${label}@example.com`;
      const phone = `+4479${String(randomInt(10_000_000, 99_999_999))}`;
      await withTenant(db, TENANT, async (tx) => {
        await tx.execute(
          sql`insert into test_contacts (tenant_id, email, name) values (${TENANT}, ${email}, ${`Name ${label}`})`,
        );
        await tx.execute(
          sql`insert into test_call_records (tenant_id, caller, callee) values (${TENANT}, ${phone}, '+15550000000')`,
        );
      });
      return { accountIds: [], emails: [email], phones: [phone], userIds: [] };
    },
    async teardown() {
      await shared?.end();
      await database.drop();
    },
  };
});

describe('a late event about an erased subject', () => {
  let db: ReturnType<typeof createDatabase>;
  beforeAll(async () => {
    db = await setupDatabase();
  });
  afterAll(async () => {
    await shared?.end();
    await database.drop();
  });

  it('does not bring their data back, while anyone else is recorded as usual', async () => {
    const erased = '+447911000001';
    await withTenant(db, TENANT, async (tx) => {
      const hashes = identifierHashes(SECRET, TENANT, {
        accountIds: [],
        emails: [],
        phones: [erased],
        userIds: [],
      });
      await tx.execute(
        sql`insert into kit_privacy_tombstones (tenant_id, identifier_hash) select ${TENANT}, unnest(${textArray(hashes)})`,
      );
    });
    const results = await withTenant(db, TENANT, async (tx) => [
      await onCallRecorded(tx, erased, '+15550000000'),
      await onCallRecorded(tx, '+447911000002', '+15550000000'),
    ]);
    expect(results).toEqual([false, true]);
    const rows = await withTenant(db, TENANT, (tx) =>
      tx.execute<{ caller: string }>(sql`select caller from test_call_records`),
    );
    expect(rows.rows.map((row) => row.caller)).toEqual(['+447911000002']);
  });
});

describe('erasure and parked events', () => {
  let db: ReturnType<typeof createDatabase>;
  beforeAll(async () => {
    db = await setupDatabase();
  });
  afterAll(async () => {
    await shared?.end();
    await database.drop();
  });

  /** An event about `subject` that was parked: enqueued with its subject, then moved to dead letters. */
  async function parkEventAbout(tenantId: string, subject: SubjectIdentifiers): Promise<void> {
    const outbox = new Outbox('calls', SECRET);
    await withTenant(db, tenantId, async (tx) => {
      const eventId = await outbox.enqueue(tx, {
        type: 'calls.call.recorded',
        tenantId,
        subject,
        payloadType: 'parley.participant.v1.SubjectIdentifiers',
        messageType: participantV1.SubjectIdentifiers,
        payload: subject,
      });
      await tx.execute(
        sql`insert into kit_dead_letters (id, source, event_id, event_type, tenant_id, subject_hashes, envelope, reason, error, attempts)
            select gen_random_uuid(), 'outbox', event_id, event_type, tenant_id, subject_hashes, envelope, 'PUBLISH_REFUSED', 'x', 5
              from kit_outbox where event_id = ${eventId}`,
      );
      await tx.execute(sql`delete from kit_outbox where event_id = ${eventId}`);
    });
  }

  it("deletes the erased subject's parked events, counts them in the receipt, and leaves everyone else's", async () => {
    const subject: SubjectIdentifiers = {
      accountIds: [],
      emails: [],
      phones: ['+447911000009'],
      userIds: [],
    };
    const other: SubjectIdentifiers = {
      accountIds: [],
      emails: ['other@example.com'],
      phones: [],
      userIds: [],
    };
    await parkEventAbout(TENANT, subject);
    await parkEventAbout(TENANT, subject);
    await parkEventAbout(TENANT, other);
    await parkEventAbout('other-co', subject);
    const stored = await db.execute<{ subject_hashes: string[] }>(
      sql`select subject_hashes from kit_dead_letters`,
    );
    expect(JSON.stringify(stored.rows)).not.toContain('+447911000009');

    const handler = participantTaskHandler({
      participant: callsParticipant,
      outbox: new Outbox('calls', SECRET),
      secret: SECRET,
    });
    const envelope = eventsV1.Envelope.fromPartial({ eventId: randomUUID(), tenantId: TENANT });
    const payload = participantV1.PrivacyTask.fromPartial({
      requestId: randomUUID(),
      participant: 'calls',
      action: PrivacyAction.PRIVACY_ACTION_ERASE,
      subject,
    });
    await withTenant(db, TENANT, (tx) =>
      handler.handle(
        tx,
        { envelope, payload },
        createLogger({ service: 't', version: 't', level: 'silent' }),
      ),
    );

    const left = await db.execute<{ tenant_id: string; subject_hashes: string[] }>(
      sql`select tenant_id, subject_hashes from kit_dead_letters order by tenant_id`,
    );
    expect(left.rows.map((row) => row.tenant_id)).toEqual(['calls-co', 'other-co']);
    expect(left.rows[0]!.subject_hashes).toEqual(identifierHashes(SECRET, TENANT, other));
    const receiptRow = await db.execute<{ receipt: Buffer }>(
      sql`select envelope as receipt from kit_outbox where event_type = 'privacy.receipt.submitted'`,
    );
    const receipt = participantV1.PrivacyReceipt.decode(
      eventsV1.Envelope.decode(receiptRow.rows[0]!.receipt).payload,
    );
    expect(receipt.categories.find((line) => line.category === PARKED_EVENTS_CATEGORY)).toMatchObject({
      deleted: '2',
    });
  });
});
