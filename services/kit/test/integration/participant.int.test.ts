import { randomInt, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { credentials } from '@grpc/grpc-js';
import { sql } from 'drizzle-orm';
import { eventsV1, participantV1 } from '@parley/proto';
import {
  createDatabase,
  createLogger,
  createPool,
  EXPORT_MESSAGE_BYTES,
  exportedRecords,
  identifierHashes,
  invalidArgument,
  isErased,
  isRestricted,
  locateAssets,
  matchingHashes,
  migrate,
  Outbox,
  PARKED_EVENTS_CATEGORY,
  participantService,
  participantTaskHandler,
  PrivacyAction,
  ReceiptOutcome,
  receiptLine,
  serverStream,
  startGrpcServer,
  type GrpcServer,
  textArray,
  withTenant,
  type PrivacyParticipant,
  type SubjectHashKeys,
  type SubjectIdentifiers,
  type Transaction,
} from '@parley/kit';
import { createTestDatabase, type TestDatabase } from '../../../../tests/support/infra';
import { describeParticipantConformance } from '../../src/privacy/conformance';
import { as, testTokens } from '../../../../tests/support/callers';

const SECRET = 'conformance-secret-0123456789abcdefghij';
/** The transaction id of every call-records page read, to show each page had a transaction of its own. */
const exportPageTransactions: string[] = [];
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
      defaultRetentionDays: 0,
      consentPurposes: ['marketing_email'],
    },
    {
      id: 'call_records',
      description: 'Who called whom, when',
      subjects: ['callers'],
      purpose: 'Billing and lawful intercept',
      legalBasis: 'legal obligation',
      retention: '2 years after the call',
      legalObligation: 'telecom data retention act (test)',
      defaultRetentionDays: 730,
      consentPurposes: [],
    },
  ],
  async export(tx, subject, context, cursor) {
    // Contacts in one page (a handful per subject), then call records in pages by id: "calls:<last id>".
    if (cursor === undefined) {
      const contacts = await tx.execute<{ email: string; name: string }>(
        sql`select email, name from test_contacts where email = any(${textArray(subject.emails)}) order by email`,
      );
      return {
        records: contacts.rows.map((row) => ({ category: 'contacts', record: row })),
        next: 'calls:0',
      };
    }
    const after = Number(cursor.slice('calls:'.length));
    const calls = await tx.execute<{ id: string; caller: string; callee: string }>(
      sql`select id, caller, callee from test_call_records
          where caller = any(${textArray(subject.phones)}) and id > ${after} order by id limit ${context.limit}`,
    );
    exportPageTransactions.push(
      (await tx.execute<{ txid: string }>(sql`select txid_current()::text as txid`)).rows[0]!.txid,
    );
    const last = calls.rows[calls.rows.length - 1];
    return {
      records: calls.rows.map(({ caller, callee }) => ({
        category: 'call_records',
        record: { caller, callee },
      })),
      next: calls.rows.length === context.limit && last ? `calls:${last.id}` : undefined,
    };
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
  async rectify(tx, subject, changes) {
    // Writes first and checks afterwards, so the test sees the kit roll a refused correction back.
    if (typeof changes.name !== 'string') return [receiptLine('contacts'), receiptLine('call_records')];
    const corrected = await tx.execute(
      sql`update test_contacts set name = ${changes.name} where email = any(${textArray(subject.emails)})`,
    );
    if (changes.name.trim() === '') {
      throw invalidArgument('CONTACT_INVALID', 'name: 1-200 characters', [
        { field: 'name', description: '1-200 characters' },
      ]);
    }
    if (changes.name === 'database down') throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
    return [
      receiptLine('contacts', { corrected: String(corrected.rowCount ?? 0) }),
      receiptLine('call_records'),
    ];
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
    refusedChanges: { name: '   ' },
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

describe('the task handler', () => {
  let db: ReturnType<typeof createDatabase>;
  const handler = participantTaskHandler({
    participant: callsParticipant,
    outbox: new Outbox('calls'),
    secret: SECRET,
  });
  const silent = createLogger({ service: 'kit-test', version: 'test', level: 'silent' });
  beforeAll(async () => {
    db = await setupDatabase();
  });
  afterAll(async () => {
    await shared?.end();
    await database.drop();
  });

  const rectify = (requestId: string, email: string, name: string) =>
    withTenant(db, TENANT, (tx) =>
      handler.handle(
        tx,
        {
          envelope: eventsV1.Envelope.fromPartial({ eventId: randomUUID(), tenantId: TENANT }),
          payload: participantV1.PrivacyTask.fromPartial({
            requestId,
            participant: 'calls',
            action: PrivacyAction.PRIVACY_ACTION_RECTIFY,
            subject: { accountIds: [], emails: [email], phones: [], userIds: [] },
            changesJson: JSON.stringify({ name }),
          }),
        },
        silent,
      ),
    );
  const state = () =>
    withTenant(db, TENANT, async (tx) => ({
      names: (
        await tx.execute<{ name: string }>(sql`select name from test_contacts order by email`)
      ).rows.map((row) => row.name),
      receipts: Number(
        (await tx.execute<{ n: number }>(sql`select count(*)::int as n from kit_privacy_receipts`)).rows[0]!
          .n,
      ),
      outbox: Number(
        (await tx.execute<{ n: number }>(sql`select count(*)::int as n from kit_outbox`)).rows[0]!.n,
      ),
    }));

  it('throws a transient failure for the inbox to retry, leaving no receipt and no change behind', async () => {
    await withTenant(db, TENANT, (tx) =>
      tx.execute(
        sql`insert into test_contacts (tenant_id, email, name) values (${TENANT}, 'x@example.com', 'Old')`,
      ),
    );
    const requestId = randomUUID();
    await expect(rectify(requestId, 'x@example.com', 'database down')).rejects.toThrow('ECONNREFUSED');
    expect(await state()).toEqual({ names: ['Old'], receipts: 0, outbox: 0 });
    // When the dependency is back the same task is carried out.
    await rectify(requestId, 'x@example.com', 'New');
    expect(await state()).toEqual({ names: ['New'], receipts: 1, outbox: 1 });
  });

  it('rolls a refused correction back and stores the failure receipt it publishes', async () => {
    const requestId = randomUUID();
    await rectify(requestId, 'x@example.com', ' ');
    expect(await state()).toEqual({ names: ['New'], receipts: 2, outbox: 2 });
    const [row] = (
      await withTenant(db, TENANT, (tx) =>
        tx.execute<{ envelope: Buffer }>(sql`select envelope from kit_outbox order by seq desc limit 1`),
      )
    ).rows;
    const receipt = participantV1.PrivacyReceipt.decode(eventsV1.Envelope.decode(row!.envelope).payload);
    expect(receipt).toMatchObject({
      requestId,
      participant: 'calls',
      outcome: ReceiptOutcome.RECEIPT_OUTCOME_FAILED,
      failureCode: 'CONTACT_INVALID',
      failureReason: 'name: 1-200 characters',
    });
  });
});

describe('ExportSubject over gRPC', () => {
  const RECORDS = 5_000;
  const PAGE = 500;
  const phone = '+447911555000';
  const subject: SubjectIdentifiers = {
    accountIds: [],
    emails: ['big@example.com'],
    phones: [phone],
    userIds: [],
  };
  const silent = createLogger({ service: 'kit-test', version: 'test', level: 'silent' });
  let db: ReturnType<typeof createDatabase>;
  let server: GrpcServer;
  let client: participantV1.ParticipantServiceClient;

  beforeAll(async () => {
    db = await setupDatabase();
    await shared!.query(
      `insert into test_call_records (tenant_id, caller, callee) select $1, $2, '+15550000000' from generate_series(1, $3)`,
      [TENANT, phone, RECORDS],
    );
    const handlers = participantService(callsParticipant, { db, secret: SECRET, pageSize: PAGE });
    server = await startGrpcServer({
      host: '127.0.0.1',
      port: 0,
      log: silent,
      services: [
        {
          name: 'parley.privacy.v1.ParticipantService',
          definition: participantV1.ParticipantServiceService,
          implementation: {
            exportSubject: serverStream(
              'ExportSubject',
              { log: silent, tokens: testTokens },
              handlers.exportSubject,
              {
                scope: 'internal',
              },
            ),
          },
        },
      ],
    });
    client = new participantV1.ParticipantServiceClient(
      `127.0.0.1:${server.port}`,
      credentials.createInsecure(),
    );
  });
  afterAll(async () => {
    client?.close();
    await server?.shutdown(100);
    await shared?.end();
    await database.drop();
  });

  const open = async () =>
    client.exportSubject({ requestId: randomUUID(), subject }, (await as(TENANT, ['internal'])).metadata);

  /** Connections checked out of the pool, and sessions of this database idle inside a transaction. */
  const held = async () => ({
    checkedOut: shared!.totalCount - shared!.idleCount,
    idleInTransaction: Number(
      (
        await shared!.query<{ n: number }>(
          `select count(*)::int as n from pg_stat_activity where datname = current_database() and state like 'idle in transaction%'`,
        )
      ).rows[0]!.n,
    ),
  });

  it('streams a large export in pages, each read in a transaction of its own and sent as one message', async () => {
    exportPageTransactions.length = 0;
    let received = 0;
    let messages = 0;
    for await (const item of (await open()) as AsyncIterable<participantV1.ExportSubjectResponse>) {
      messages += 1;
      // Pages travel in `records`; the single-record fields are left empty.
      expect(item.category).toBe('');
      expect(item.records.length).toBeLessThanOrEqual(PAGE);
      received += exportedRecords(item).filter((record) => record.category === 'call_records').length;
    }
    expect(received).toBe(RECORDS);
    expect(messages).toBe(RECORDS / PAGE);
    // 10 full pages and the empty one that ends it, each in a different transaction.
    expect(exportPageTransactions.length).toBe(RECORDS / PAGE + 1);
    expect(new Set(exportPageTransactions).size).toBe(exportPageTransactions.length);
  });

  it('splits a page whose records exceed the message size, one large record going alone', async () => {
    // 40 records of 100 KiB, then one of 1.5 MiB, then 3 small: one page of the participant, several messages.
    const big = 'x'.repeat(100 * 1024);
    const bigger = 'y'.repeat(1536 * 1024);
    const sizes = [...Array.from({ length: 40 }, () => big), bigger, 'a', 'b', 'c'];
    const pageOfBlobs: PrivacyParticipant = {
      ...callsParticipant,
      export: async () => ({ records: sizes.map((text) => ({ category: 'contacts', record: { text } })) }),
    };
    const messages: participantV1.ExportSubjectResponse[] = [];
    await participantService(pageOfBlobs, { db, secret: SECRET, pageSize: PAGE }).exportSubject(
      {
        request: { requestId: randomUUID(), subject },
        caller: { tenantId: TENANT, principal: 'test', scopes: ['internal'] },
        log: silent,
      },
      async (message) => {
        messages.push(message);
      },
    );
    const sent = messages.map((message) =>
      exportedRecords(message).map((record) => JSON.parse(record.recordJson) as { text: string }),
    );
    // Every record once, in order.
    expect(sent.flat().map((record) => record.text)).toEqual(sizes);
    // No message over the limit unless it holds a single record larger than it.
    for (const records of sent) {
      const bytes = records.reduce((sum, record) => sum + JSON.stringify(record).length, 0);
      if (records.length > 1) expect(bytes).toBeLessThanOrEqual(EXPORT_MESSAGE_BYTES);
    }
    expect(sent.map((records) => records.length)).toEqual([10, 10, 10, 10, 1, 3]);
  });

  it('holds no transaction or connection once the reader cancels midway', async () => {
    const stream = await open();
    let received = 0;
    await new Promise<void>((resolve) => {
      stream.on('data', () => {
        received += 1;
        if (received === 10) {
          // A reader that stops reading and goes away.
          stream.pause();
          stream.cancel();
          resolve();
        }
      });
      stream.on('error', () => undefined);
    });
    let now = await held();
    for (let attempt = 0; attempt < 50 && (now.checkedOut > 0 || now.idleInTransaction > 0); attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      now = await held();
    }
    expect(now).toEqual({ checkedOut: 0, idleInTransaction: 0 });
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
