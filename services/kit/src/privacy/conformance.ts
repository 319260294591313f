// The privacy protocol's conformance suite: any participant runs it against itself (see PRIVACY.md).
// It drives the participant exactly as production does, through the kit's task handler and receipts.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'drizzle-orm';
import { eventsV1, participantV1 } from '@parley/proto';
import { withTenant, type Database } from '../db/database';
import { Outbox } from '../events/outbox';
import { createLogger } from '../logging';
import {
  exportPages,
  participantTaskHandler,
  PrivacyAction,
  ReceiptOutcome,
  type ExportRecord,
  type PrivacyParticipant,
} from './participant';
import { consentPurposes } from './vocabulary';
import {
  identifierHashes,
  isErased,
  isObjectedTo,
  isRestricted,
  matchingHashes,
  type SubjectHashKeys,
  type SubjectIdentifiers,
} from './subjects';

export interface ConformanceFixture {
  participant: PrivacyParticipant;
  /** The participant's database, migrated (the kit's tables included). */
  db: Database;
  tenantId: string;
  /** The subject hash key(s) the participant runs with (SUBJECT_HASH_KEY, and any previous ones). */
  secret: SubjectHashKeys;
  /** Stores data about a new subject in every category the participant declares; returns the subject. */
  seed(label: string): Promise<SubjectIdentifiers>;
  /**
   * Corrected fields the participant must refuse (e.g. an email that is not one), when it holds any it
   * can refuse: rectification with them must end in a failure receipt that changes nothing.
   */
  refusedChanges?: Record<string, unknown>;
  teardown(): Promise<void>;
}

const log = createLogger({ service: 'conformance', version: 'test', level: 'silent' });

export function describeParticipantConformance(
  title: string,
  setup: () => Promise<ConformanceFixture>,
): void {
  describe(`privacy participant conformance: ${title}`, () => {
    let fixture: ConformanceFixture;
    let handler: ReturnType<typeof participantTaskHandler>;

    beforeAll(async () => {
      fixture = await setup();
      handler = participantTaskHandler({
        participant: fixture.participant,
        outbox: new Outbox(fixture.participant.name, fixture.secret),
        secret: fixture.secret,
      });
    });

    afterAll(async () => {
      await fixture?.teardown();
    });

    const hashes = (subject: SubjectIdentifiers) => matchingHashes(fixture.secret, fixture.tenantId, subject);
    const identifiersOf = (subject: SubjectIdentifiers) => [
      ...subject.accountIds,
      ...subject.emails,
      ...subject.phones,
      ...subject.userIds,
    ];

    /** The subject's export as the kit reads it: page by page (pages of 2, so paging is exercised). */
    async function exported(subject: SubjectIdentifiers) {
      const records: ExportRecord[] = [];
      for await (const page of exportPages(
        fixture.db,
        fixture.participant,
        subject,
        {
          tenantId: fixture.tenantId,
          hashes: hashes(subject),
          currentHashes: identifierHashes(fixture.secret, fixture.tenantId, subject),
          log,
        },
        2,
      )) {
        expect(page.length).toBeLessThanOrEqual(4);
        records.push(...page);
      }
      return records;
    }

    /** Runs a task through the kit's handler, as a JetStream delivery would; returns the receipt it published. */
    async function task(
      requestId: string,
      action: number,
      subject: SubjectIdentifiers,
      extra: Partial<participantV1.PrivacyTask> = {},
    ) {
      const payload: participantV1.PrivacyTask = {
        requestId,
        participant: fixture.participant.name,
        action,
        subject,
        changesJson: '',
        legalHoldReason: '',
        purgeCategory: '',
        purposes: [],
        ...extra,
      };
      const envelope = eventsV1.Envelope.fromPartial({
        eventId: randomUUID(),
        tenantId: fixture.tenantId,
        type: 'privacy.task.requested',
      });
      await withTenant(fixture.db, fixture.tenantId, (tx) => handler.handle(tx, { envelope, payload }, log));
      const [row] = (
        await withTenant(fixture.db, fixture.tenantId, (tx) =>
          tx.execute<{ envelope: Buffer }>(
            sql`select envelope from kit_outbox where event_type = 'privacy.receipt.submitted' order by seq desc limit 1`,
          ),
        )
      ).rows;
      return participantV1.PrivacyReceipt.decode(eventsV1.Envelope.decode(row!.envelope).payload);
    }

    const emptySubject: SubjectIdentifiers = { accountIds: [], emails: [], phones: [], userIds: [] };
    const declared = () => fixture.participant.categories.map((category) => category.id).sort();
    const obliged = () =>
      new Set(
        fixture.participant.categories
          .filter((category) => category.legalObligation)
          .map((category) => category.id),
      );

    it('declares each category with purpose, legal basis, retention and a default retention in days', () => {
      expect(fixture.participant.categories.length).toBeGreaterThan(0);
      for (const category of fixture.participant.categories) {
        expect(category.id).toMatch(/^[a-z][a-z0-9_]*$/);
        expect(
          [category.description, category.purpose, category.legalBasis, category.retention].every(
            (text) => text.length > 0,
          ),
        ).toBe(true);
        // 0 is "while needed": no automatic purge. Anything else is whole days, at most 100 years.
        expect({ category: category.id, days: Number.isInteger(category.defaultRetentionDays) }).toEqual({
          category: category.id,
          days: true,
        });
        expect(category.defaultRetentionDays).toBeGreaterThanOrEqual(0);
        expect(category.defaultRetentionDays).toBeLessThanOrEqual(36_500);
        // The purposes it uses the data for, from the consent vocabulary (an objection names them).
        expect({
          category: category.id,
          unknown: category.consentPurposes.filter(
            (p) => !(consentPurposes as readonly string[]).includes(p),
          ),
        }).toEqual({
          category: category.id,
          unknown: [],
        });
      }
    });

    it('purges each category it declares a default retention for, and answers for that category', async () => {
      const purged = fixture.participant.categories.filter((category) => category.defaultRetentionDays > 0);
      const runId = randomUUID();
      for (const category of purged) {
        // A cutoff in the distant past: nothing seeded is that old, so nothing goes.
        const receipt = await task(runId, PrivacyAction.PRIVACY_ACTION_PURGE, emptySubject, {
          purgeCategory: category.id,
          purgeBefore: new Date('2000-01-01T00:00:00Z'),
        });
        expect(receipt.outcome).toBe(ReceiptOutcome.RECEIPT_OUTCOME_COMPLETED);
        expect(receipt.categories.map((line) => line.category)).toEqual([category.id]);
      }
    });

    it('answers a task it cannot carry out with a failure receipt, the same one every time, and changes nothing', async () => {
      const a = await fixture.seed('fail-a');
      const before = await exported(a);
      const requestId = randomUUID();
      // Rectification whose changes are not a JSON object: a permanent failure, whatever the participant.
      const first = await task(requestId, PrivacyAction.PRIVACY_ACTION_RECTIFY, a, { changesJson: '[1,2]' });
      const second = await task(requestId, PrivacyAction.PRIVACY_ACTION_RECTIFY, a, { changesJson: '[1,2]' });
      expect(second).toEqual(first);
      expect(first).toMatchObject({
        outcome: ReceiptOutcome.RECEIPT_OUTCOME_FAILED,
        failureCode: 'CHANGES_INVALID',
        categories: [],
      });
      expect(first.failureReason.length).toBeGreaterThan(0);
      // An action it does not know (sent by a newer privacy service): failed, not retried for ever.
      const unknown = await task(randomUUID(), 99, a);
      expect(unknown).toMatchObject({
        outcome: ReceiptOutcome.RECEIPT_OUTCOME_FAILED,
        failureCode: 'PRIVACY_ACTION_UNKNOWN',
      });
      expect(await exported(a)).toEqual(before);
    });

    it('refuses a correction it cannot accept with a failure receipt naming no personal data, and keeps the data as it was', async () => {
      const refused = fixture.refusedChanges;
      if (!refused) {
        // A participant that refuses no correction (it holds nothing it corrects) still answers every
        // rectification with a completed receipt, whatever the values.
        const receipt = await task(
          randomUUID(),
          PrivacyAction.PRIVACY_ACTION_RECTIFY,
          await fixture.seed('ok'),
          {
            changesJson: JSON.stringify({ email: 'not-an-email' }),
          },
        );
        expect(receipt.outcome).toBe(ReceiptOutcome.RECEIPT_OUTCOME_COMPLETED);
        return;
      }
      const a = await fixture.seed('refuse-a');
      const before = await exported(a);
      const receipt = await task(randomUUID(), PrivacyAction.PRIVACY_ACTION_RECTIFY, a, {
        changesJson: JSON.stringify(refused),
      });
      expect(receipt.outcome).toBe(ReceiptOutcome.RECEIPT_OUTCOME_FAILED);
      expect(receipt.failureCode).toMatch(/^[A-Z][A-Z0-9_]*$/);
      expect(receipt.failureReason.length).toBeGreaterThan(0);
      const text = `${receipt.failureCode} ${receipt.failureReason}`;
      for (const identifier of identifiersOf(a)) expect(text).not.toContain(identifier);
      for (const value of Object.values(refused))
        if (typeof value === 'string' && value.length > 3) expect(text).not.toContain(value);
      expect(await exported(a)).toEqual(before);
    });

    it("exports every declared category for the subject, and nothing of another subject's", async () => {
      const a = await fixture.seed('a');
      const b = await fixture.seed('b');
      const records = await exported(a);
      expect([...new Set(records.map((record) => record.category))].sort()).toEqual(declared());
      const text = JSON.stringify(records);
      for (const identifier of identifiersOf(b)) expect(text).not.toContain(identifier);
    });

    it('erases idempotently: the same task again returns the same receipt and changes nothing more', async () => {
      const a = await fixture.seed('erase-a');
      const b = await fixture.seed('erase-b');
      const before = await exported(b);
      const requestId = randomUUID();
      const first = await task(requestId, PrivacyAction.PRIVACY_ACTION_ERASE, a);
      const second = await task(requestId, PrivacyAction.PRIVACY_ACTION_ERASE, a);
      expect(second).toEqual(first);
      expect(first.categories.map((line) => line.category).sort()).toEqual(declared());
      for (const line of first.categories) {
        const acted = Number(line.deleted) + Number(line.anonymised);
        expect({ category: line.category, acted: acted > 0 }).toEqual({
          category: line.category,
          acted: true,
        });
        if (obliged().has(line.category)) expect(Number(line.deleted)).toBe(0);
      }
      const left = await exported(a);
      expect(left.filter((record) => !obliged().has(record.category))).toEqual([]);
      const leftText = JSON.stringify(left);
      for (const identifier of identifiersOf(a)) expect(leftText).not.toContain(identifier);
      expect(await exported(b)).toEqual(before);
    });

    it('remembers an erased subject only as salted hashes, so late events can be recognised', async () => {
      const a = await fixture.seed('tomb-a');
      const b = await fixture.seed('tomb-b');
      await task(randomUUID(), PrivacyAction.PRIVACY_ACTION_ERASE, a);
      const [erasedA, erasedB] = await withTenant(fixture.db, fixture.tenantId, async (tx) => [
        await isErased(tx, fixture.tenantId, hashes(a)),
        await isErased(tx, fixture.tenantId, hashes(b)),
      ]);
      expect({ erasedA, erasedB }).toEqual({ erasedA: true, erasedB: false });
      const stored = await withTenant(fixture.db, fixture.tenantId, (tx) =>
        tx.execute(sql`select identifier_hash from kit_privacy_tombstones`),
      );
      const text = JSON.stringify(stored.rows);
      for (const identifier of identifiersOf(a)) expect(text).not.toContain(identifier);
    });

    it('honours restriction until it is lifted', async () => {
      const a = await fixture.seed('restrict-a');
      const receipt = await task(randomUUID(), PrivacyAction.PRIVACY_ACTION_RESTRICT, a);
      expect(receipt.categories.map((line) => line.category).sort()).toEqual(declared());
      const restricted = () =>
        withTenant(fixture.db, fixture.tenantId, (tx) => isRestricted(tx, fixture.tenantId, hashes(a)));
      expect(await restricted()).toBe(true);
      await task(randomUUID(), PrivacyAction.PRIVACY_ACTION_UNRESTRICT, a);
      expect(await restricted()).toBe(false);
    });

    it('stops using data for what a subject objects to, names per category what stopped, the same every time, and deletes nothing', async () => {
      const a = await fixture.seed('object-a');
      const b = await fixture.seed('object-b');
      const before = await exported(a);
      const requestId = randomUUID();
      const purposes = [...consentPurposes];
      const first = await task(requestId, PrivacyAction.PRIVACY_ACTION_OBJECT, a, { purposes });
      const second = await task(requestId, PrivacyAction.PRIVACY_ACTION_OBJECT, a, { purposes });
      expect(second).toEqual(first);
      expect(first.outcome).toBe(ReceiptOutcome.RECEIPT_OUTCOME_COMPLETED);
      // One line per category used for any of the purposes, naming exactly those; none for the others.
      const stopped = (lines: participantV1.CategoryReceipt[]) =>
        lines
          .map((line) => ({ category: line.category, stopped: [...line.stopped].sort() }))
          .sort((x, y) => x.category.localeCompare(y.category));
      const users = (wanted: readonly string[]) =>
        fixture.participant.categories
          .map((category) => ({
            category: category.id,
            stopped: category.consentPurposes.filter((p) => wanted.includes(p)).sort(),
          }))
          .filter((line) => line.stopped.length > 0)
          .sort((x, y) => x.category.localeCompare(y.category));
      expect(stopped(first.categories)).toEqual(users(purposes));
      const objected = (subject: SubjectIdentifiers, purpose: string) =>
        withTenant(fixture.db, fixture.tenantId, (tx) =>
          isObjectedTo(tx, fixture.tenantId, hashes(subject), purpose),
        );
      for (const purpose of purposes) {
        expect({ purpose, a: await objected(a, purpose), b: await objected(b, purpose) }).toEqual({
          purpose,
          a: true,
          b: false,
        });
      }
      expect(await exported(a)).toEqual(before);
      // One purpose only: only the categories used for it answer, and only for it.
      const narrow = await task(randomUUID(), PrivacyAction.PRIVACY_ACTION_OBJECT, b, {
        purposes: ['sale_share'],
      });
      expect(stopped(narrow.categories)).toEqual(users(['sale_share']));
      expect(await objected(b, 'sale_share')).toBe(true);
      expect(await objected(b, 'marketing_email')).toBe(false);
      // A purpose outside the vocabulary is a task it cannot carry out.
      const unknown = await task(randomUUID(), PrivacyAction.PRIVACY_ACTION_OBJECT, b, {
        purposes: ['telepathy'],
      });
      expect(unknown).toMatchObject({
        outcome: ReceiptOutcome.RECEIPT_OUTCOME_FAILED,
        failureCode: 'PURPOSES_INVALID',
      });
    });

    it('keeps everything under a legal hold and says so in the receipt', async () => {
      const a = await fixture.seed('hold-a');
      const before = await exported(a);
      const receipt = await task(randomUUID(), PrivacyAction.PRIVACY_ACTION_ERASE, a, {
        legalHoldReason: 'case 42',
      });
      expect(
        receipt.categories.every((line) => Number(line.deleted) === 0 && Number(line.anonymised) === 0),
      ).toBe(true);
      expect(
        receipt.categories
          .filter((line) => Number(line.kept) > 0)
          .every((line) => line.keptBasis.includes('case 42')),
      ).toBe(true);
      expect(receipt.categories.some((line) => Number(line.kept) > 0)).toBe(true);
      expect(await exported(a)).toEqual(before);
      expect(
        await withTenant(fixture.db, fixture.tenantId, (tx) => isErased(tx, fixture.tenantId, hashes(a))),
      ).toBe(false);
    });
  });
}
