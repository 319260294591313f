// The privacy protocol's conformance suite: any participant runs it against itself (see PRIVACY.md).
// It drives the participant exactly as production does, through the kit's task handler and receipts.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'drizzle-orm';
import { eventsV1, participantV1 } from '@parley/proto';
import { withTenant, type Database } from '../db/database';
import { Outbox } from '../events/outbox';
import { createLogger } from '../logging';
import { participantTaskHandler, PrivacyAction, type PrivacyParticipant } from './participant';
import { identifierHashes, isErased, isRestricted, type SubjectIdentifiers } from './subjects';

export interface ConformanceFixture {
  participant: PrivacyParticipant;
  /** The participant's database, migrated (the kit's tables included). */
  db: Database;
  tenantId: string;
  /** The shared secret the subject hashes are keyed with. */
  secret: string;
  /** Stores data about a new subject in every category the participant declares; returns the subject. */
  seed(label: string): Promise<SubjectIdentifiers>;
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

    const hashes = (subject: SubjectIdentifiers) =>
      identifierHashes(fixture.secret, fixture.tenantId, subject);
    const identifiersOf = (subject: SubjectIdentifiers) => [
      ...subject.accountIds,
      ...subject.emails,
      ...subject.phones,
      ...subject.userIds,
    ];

    async function exported(subject: SubjectIdentifiers) {
      return withTenant(fixture.db, fixture.tenantId, async (tx) => {
        const records: { category: string; record: Record<string, unknown> }[] = [];
        for await (const item of fixture.participant.export(tx, subject, {
          tenantId: fixture.tenantId,
          hashes: hashes(subject),
          log,
        })) {
          records.push(item);
        }
        return records;
      });
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

    const declared = () => fixture.participant.categories.map((category) => category.id).sort();
    const obliged = () =>
      new Set(
        fixture.participant.categories
          .filter((category) => category.legalObligation)
          .map((category) => category.id),
      );

    it('declares each category with purpose, legal basis and retention', () => {
      expect(fixture.participant.categories.length).toBeGreaterThan(0);
      for (const category of fixture.participant.categories) {
        expect(category.id).toMatch(/^[a-z][a-z0-9_]*$/);
        expect(
          [category.description, category.purpose, category.legalBasis, category.retention].every(
            (text) => text.length > 0,
          ),
        ).toBe(true);
      }
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
