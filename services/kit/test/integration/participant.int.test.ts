import { randomInt, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'drizzle-orm';
import {
  createDatabase,
  createLogger,
  createPool,
  identifierHashes,
  isErased,
  isRestricted,
  locateAssets,
  matchingHashes,
  migrate,
  Outbox,
  participantTaskHandler,
  PrivacyAction,
  receiptLine,
  textArray,
  withTenant,
  type PrivacyParticipant,
  type SubjectHashKeys,
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

describe('rotating the subject hash key', () => {
  const OLD_KEY = 'subject-hash-key-before-rotation-0123456789';
  const NEW_KEY = 'subject-hash-key-after-rotation-abcdefghijk';
  const rotated = { current: NEW_KEY, previous: [OLD_KEY] };
  let db: ReturnType<typeof createDatabase>;
  const log = createLogger({ service: 'kit-test', version: 'test', level: 'silent' });
  beforeAll(async () => {
    db = await setupDatabase();
  });
  afterAll(async () => {
    await shared?.end();
    await database.drop();
  });

  async function runTask(secret: SubjectHashKeys, action: number, subject: SubjectIdentifiers) {
    const handler = participantTaskHandler({
      participant: callsParticipant,
      outbox: new Outbox('calls'),
      secret,
    });
    const payload = participantV1.PrivacyTask.fromPartial({ requestId: randomUUID(), action, subject });
    const envelope = eventsV1.Envelope.fromPartial({ eventId: randomUUID(), tenantId: TENANT });
    await withTenant(db, TENANT, (tx) => handler.handle(tx, { envelope, payload }, log));
  }
  const person = (phone: string): SubjectIdentifiers => ({
    accountIds: [],
    emails: [],
    phones: [phone],
    userIds: [],
  });

  it('still recognises a tombstone written under the previous key, and writes new ones under the current key', async () => {
    const before = person('+447911000101');
    await runTask(OLD_KEY, PrivacyAction.PRIVACY_ACTION_ERASE, before);

    await withTenant(db, TENANT, async (tx) => {
      // Under the new key alone the old tombstone is invisible: that is what rotation without the list would orphan.
      expect(await isErased(tx, TENANT, identifierHashes(NEW_KEY, TENANT, before))).toBe(false);
      expect(await isErased(tx, TENANT, matchingHashes(rotated, TENANT, before))).toBe(true);
      expect(await isErased(tx, TENANT, matchingHashes(rotated, TENANT, person('+447911000199')))).toBe(
        false,
      );
    });

    const after = person('+447911000102');
    await runTask(rotated, PrivacyAction.PRIVACY_ACTION_ERASE, after);
    const stored = await withTenant(db, TENANT, (tx) =>
      tx.execute<{ identifier_hash: string }>(
        sql`select identifier_hash from kit_privacy_tombstones where identifier_hash = any(${textArray(matchingHashes(rotated, TENANT, after))})`,
      ),
    );
    expect(stored.rows.map((row) => row.identifier_hash)).toEqual(identifierHashes(NEW_KEY, TENANT, after));
  });

  it('lifts a restriction recorded under the previous key', async () => {
    const subject = person('+447911000103');
    await runTask(OLD_KEY, PrivacyAction.PRIVACY_ACTION_RESTRICT, subject);
    const restricted = () =>
      withTenant(db, TENANT, (tx) => isRestricted(tx, TENANT, matchingHashes(rotated, TENANT, subject)));
    expect(await restricted()).toBe(true);
    await runTask(rotated, PrivacyAction.PRIVACY_ACTION_UNRESTRICT, subject);
    expect(await restricted()).toBe(false);
  });
});
