import { sql } from 'drizzle-orm';
import { participantV1 } from '@parley/proto';
import type { Database, Transaction } from '../db/database';
import { withTenant } from '../db/database';
import { failedPrecondition, invalidArgument, isPermanentError } from '../errors';
import { consentPurposes } from './vocabulary';
import { eraseDeadLetters } from '../events/deadLetters';
import type { EventHandler } from '../events/inbox';
import type { Outbox } from '../events/outbox';
import type { Logger } from '../logging';
import type { RpcContext } from '../grpc/server';
import {
  identifierHashes,
  matchingHashes,
  recordObjection,
  recordTombstone,
  setRestricted,
  type SubjectHashKeys,
  type SubjectIdentifiers,
} from './subjects';

export type DataCategory = participantV1.DataCategory;
export type CategoryReceipt = participantV1.CategoryReceipt;
export const PrivacyAction = participantV1.PrivacyAction;
export const ReceiptOutcome = participantV1.ReceiptOutcome;

/** How many records the kit asks a participant for per export page, and sends per ExportSubject message. */
export const EXPORT_PAGE_SIZE = 500;

/**
 * About how many bytes of records one ExportSubject message carries: a message is sent once it holds this
 * much (a single larger record goes alone), well under gRPC's 4 MiB default limit on what a reader accepts.
 */
export const EXPORT_MESSAGE_BYTES = 1024 * 1024;

/**
 * The records one ExportSubject message carries, whichever shape it has: a page in `records`, or (from a
 * participant from before pages) one record in `category` and `recordJson`, which comes first.
 */
export function exportedRecords(
  message: participantV1.ExportSubjectResponse,
): participantV1.ExportedRecord[] {
  const single = message.category ? [{ category: message.category, recordJson: message.recordJson }] : [];
  return single.length > 0 ? [...single, ...message.records] : message.records;
}

/** A receipt line with every count zero except those given. */
export function receiptLine(
  category: string,
  counts: Partial<Omit<CategoryReceipt, 'category'>> = {},
): CategoryReceipt {
  return {
    category,
    exported: '0',
    deleted: '0',
    anonymised: '0',
    corrected: '0',
    kept: '0',
    restricted: '0',
    keptBasis: '',
    stopped: [],
    ...Object.fromEntries(
      Object.entries(counts).map(([key, value]) => [key, typeof value === 'number' ? String(value) : value]),
    ),
  } as CategoryReceipt;
}

export interface ActionContext {
  tenantId: string;
  /**
   * Keyed hashes of the subject's identifiers under every subject hash key, current first: match stored
   * hashes (consents, holds, restrictions) against these. Records that store hashes write `currentHashes`.
   */
  hashes: string[];
  /** The same identifiers hashed under the current key only: what to store. */
  currentHashes?: string[];
  log: Logger;
}

export interface ExportContext extends ActionContext {
  /** How many records a page should hold, roughly: a page may be shorter, or a little longer. */
  limit: number;
}

/** One record of an export: its category and the record as the subject will see it. */
export interface ExportRecord {
  category: string;
  record: Record<string, unknown>;
}

/** One page of an export, and where the next one starts. */
export interface ExportPage {
  records: ExportRecord[];
  /** The cursor of the next page, opaque to the kit; absent when this page was the last. */
  next?: string;
}

/**
 * What a service implements to take part in data-subject requests (see services/kit/PRIVACY.md). Every
 * method runs inside a transaction with the tenant set, so row-level security scopes it; the kit records
 * the receipt in the same transaction, which makes every action idempotent per request. A method that
 * throws one of the kit's permanent errors (invalid argument, failed precondition, already exists: see
 * `isPermanentError`) has its changes rolled back and answers with a failure receipt carrying the error's
 * code and message; any other error is retried.
 */
export interface PrivacyParticipant {
  /** The participant's name: its service name, e.g. "identity". */
  name: string;
  /** The data inventory: every category of personal data it holds. */
  categories: DataCategory[];
  /**
   * One page of the subject's records, about `context.limit` of them, starting at `cursor` (undefined for
   * the first page). The kit calls it once per page, each time in a transaction of its own, and sends the
   * page outside it: so a slow or cancelled reader never holds a transaction open, and a million rows need
   * no more memory than a page. Return `next` until the last page.
   */
  export(
    tx: Transaction,
    subject: SubjectIdentifiers,
    context: ExportContext,
    cursor: string | undefined,
  ): Promise<ExportPage>;
  /**
   * Deletes the subject's data, or anonymises what a category's legal obligation says must be kept. Under
   * a legal hold (`hold` set) keeps everything and reports it kept with the hold as basis.
   */
  erase(
    tx: Transaction,
    subject: SubjectIdentifiers,
    context: ActionContext & { hold?: string },
  ): Promise<CategoryReceipt[]>;
  /** Applies corrected fields (API names, e.g. fullName, email) wherever the participant holds them. */
  rectify(
    tx: Transaction,
    subject: SubjectIdentifiers,
    changes: Record<string, unknown>,
    context: ActionContext,
  ): Promise<CategoryReceipt[]>;
  /** Counts what a restriction covers; the kit records the restriction itself (see isRestricted). */
  restrict(
    tx: Transaction,
    subject: SubjectIdentifiers,
    restricted: boolean,
    context: ActionContext,
  ): Promise<CategoryReceipt[]>;
  /**
   * Optional: stops what the participant itself does with the subject's data for `purposes` (an
   * objection, a consent withdrawal, an opt-out of sale/share), beyond what the kit does for every
   * participant: record the objection (checked with `isObjectedTo`) and answer one receipt line per
   * category declared (`consentPurposes`) for any of the purposes, naming those stopped.
   */
  object?(
    tx: Transaction,
    subject: SubjectIdentifiers,
    purposes: string[],
    context: ActionContext,
  ): Promise<void>;
  /** Deletes a category's records older than `before` (retention). */
  purge(
    tx: Transaction,
    category: string,
    before: Date,
    context: Omit<ActionContext, 'hashes'>,
  ): Promise<CategoryReceipt[]>;
}

/** The receipt line that counts a subject's parked events (kit_dead_letters) deleted by an erasure. */
export const PARKED_EVENTS_CATEGORY = 'parked_events';

const taskEvent = (participant: string) => `privacy.task.requested.${participant}`;
export const RECEIPT_EVENT = 'privacy.receipt.submitted';

/**
 * Reads a subject's export page by page, each page in a short transaction of its own, and yields the
 * pages; nothing is held open between them, so the consumer may take as long as it likes with each.
 */
export async function* exportPages(
  db: Database,
  participant: PrivacyParticipant,
  subject: SubjectIdentifiers,
  context: ActionContext,
  limit = EXPORT_PAGE_SIZE,
): AsyncGenerator<ExportRecord[]> {
  let cursor: string | undefined;
  do {
    const at: string | undefined = cursor;
    const page = await withTenant(db, context.tenantId, (tx) =>
      participant.export(tx, subject, { ...context, limit }, at),
    );
    if (page.next !== undefined && page.next === at)
      throw new Error(`${participant.name} returned the same export cursor twice`);
    yield page.records;
    cursor = page.next;
  } while (cursor !== undefined);
}

function parseChanges(json: string): Record<string, unknown> {
  let changes: unknown;
  try {
    changes = JSON.parse(json || '{}');
  } catch {
    changes = undefined;
  }
  if (typeof changes !== 'object' || changes === null || Array.isArray(changes)) {
    throw invalidArgument('CHANGES_INVALID', 'changes must be a JSON object of corrected fields', [
      { field: 'changes', description: 'a JSON object of corrected fields' },
    ]);
  }
  return changes as Record<string, unknown>;
}

function parsePurposes(purposes: string[]): string[] {
  const unknown = purposes.filter((purpose) => !(consentPurposes as readonly string[]).includes(purpose));
  if (purposes.length === 0 || unknown.length > 0) {
    throw invalidArgument(
      'PURPOSES_INVALID',
      `purposes must be one or more of ${consentPurposes.join(', ')}`,
      [{ field: 'purposes', description: `one or more of ${consentPurposes.join(', ')}` }],
    );
  }
  return [...new Set(purposes)];
}

/** Carries out one task; throws what the participant throws. */
async function carryOut(
  participant: PrivacyParticipant,
  tx: Transaction,
  task: participantV1.PrivacyTask,
  context: ActionContext,
): Promise<CategoryReceipt[]> {
  const { tenantId, hashes, log } = context;
  const subject = task.subject ?? { accountIds: [], emails: [], phones: [], userIds: [] };
  switch (task.action) {
    case PrivacyAction.PRIVACY_ACTION_EXPORT:
      // The records are read once, when privacy pulls them with ExportSubject, and privacy counts them as
      // they arrive: the receipt only says the participant is ready, listing its declared categories.
      // Counting them here as well read every record twice.
      return participant.categories.map((category) => receiptLine(category.id));
    case PrivacyAction.PRIVACY_ACTION_ERASE: {
      const lines = await participant.erase(tx, subject, {
        ...context,
        hold: task.legalHoldReason || undefined,
      });
      if (task.legalHoldReason) return lines;
      await recordTombstone(tx, tenantId, context.currentHashes ?? hashes);
      // Parked copies of events about the subject go too (they are kept only for operators). The receipt
      // names them only when there were some, so it still lists exactly the declared categories.
      const parked = await eraseDeadLetters(tx, tenantId, hashes);
      return parked > 0
        ? [...lines, receiptLine(PARKED_EVENTS_CATEGORY, { deleted: String(parked) })]
        : lines;
    }
    case PrivacyAction.PRIVACY_ACTION_RECTIFY:
      return participant.rectify(tx, subject, parseChanges(task.changesJson), context);
    case PrivacyAction.PRIVACY_ACTION_RESTRICT:
    case PrivacyAction.PRIVACY_ACTION_UNRESTRICT: {
      const restricted = task.action === PrivacyAction.PRIVACY_ACTION_RESTRICT;
      // A restriction is written under the current key; lifting it removes it under every key.
      await setRestricted(tx, tenantId, restricted ? (context.currentHashes ?? hashes) : hashes, restricted);
      return participant.restrict(tx, subject, restricted, context);
    }
    case PrivacyAction.PRIVACY_ACTION_OBJECT: {
      const purposes = parsePurposes(task.purposes);
      await recordObjection(tx, tenantId, context.currentHashes ?? hashes, purposes, task.requestId);
      await participant.object?.(tx, subject, purposes, context);
      // The receipt names what stopped: each category used for one of the purposes. A participant that
      // uses no data for them answers with no lines, which says just that.
      return participant.categories.flatMap((category) => {
        const stopped = category.consentPurposes.filter((purpose) => purposes.includes(purpose));
        return stopped.length > 0 ? [receiptLine(category.id, { stopped })] : [];
      });
    }
    case PrivacyAction.PRIVACY_ACTION_PURGE: {
      // A purge answers for its one category: privacy matches the receipt to the task by it.
      const lines = await participant.purge(tx, task.purgeCategory, task.purgeBefore ?? new Date(0), {
        tenantId,
        log,
      });
      return [lines.find((line) => line.category === task.purgeCategory) ?? receiptLine(task.purgeCategory)];
    }
    default:
      throw failedPrecondition(
        'PRIVACY_ACTION_UNKNOWN',
        `${participant.name} does not know privacy action ${task.action}`,
      );
  }
}

/** Failure reasons are error messages, which never carry personal data; this bounds their length. */
const MAX_FAILURE_REASON = 1_000;

/**
 * The durable consumer of `privacy.task.requested.<participant>`: carries out the task in the inbox
 * transaction, stores the receipt, and publishes it as `privacy.receipt.submitted` through the outbox. A
 * task seen again (re-sent by privacy, or redelivered) returns the stored receipt and changes nothing.
 */
export function participantTaskHandler(deps: {
  participant: PrivacyParticipant;
  outbox: Outbox;
  secret: SubjectHashKeys;
}): EventHandler<participantV1.PrivacyTask> {
  const { participant } = deps;
  return {
    durable: `${participant.name}-on-privacy-task`,
    eventType: taskEvent(participant.name),
    messageType: participantV1.PrivacyTask,
    // A task is about its subject by definition, erased or not: an erasure sent again must find its
    // stored receipt, and a retention purge names no one.
    erasedSubjects: 'apply',
    ackWaitMs: 60_000,
    async handle(tx, event, log) {
      const task = event.payload;
      const tenantId = event.envelope.tenantId;
      // A retention run sends one purge per category under the same run id.
      const key =
        task.action === PrivacyAction.PRIVACY_ACTION_PURGE
          ? `${task.requestId}/${task.purgeCategory}`
          : task.requestId;
      const stored = await tx.execute<{ receipt: Buffer }>(
        sql`select receipt from kit_privacy_receipts where tenant_id = ${tenantId} and request_id = ${key} and action = ${task.action}`,
      );
      let receipt: participantV1.PrivacyReceipt;
      if (stored.rows[0]) {
        receipt = participantV1.PrivacyReceipt.decode(stored.rows[0].receipt);
      } else {
        const subject = task.subject ?? { accountIds: [], emails: [], phones: [], userIds: [] };
        const context: ActionContext = {
          tenantId,
          hashes: matchingHashes(deps.secret, tenantId, subject),
          currentHashes: identifierHashes(deps.secret, tenantId, subject),
          log,
        };
        receipt = {
          requestId: task.requestId,
          participant: participant.name,
          action: task.action,
          categories: [],
          completedAt: new Date(),
          outcome: ReceiptOutcome.RECEIPT_OUTCOME_COMPLETED,
          failureCode: '',
          failureReason: '',
        };
        try {
          // A savepoint: a task that fails half-way leaves nothing behind, and the failure receipt is stored.
          receipt.categories = await tx.transaction((savepoint) =>
            carryOut(participant, savepoint, task, context),
          );
        } catch (error) {
          // Transient failures (the database, the identity provider down) are retried by the inbox.
          if (!isPermanentError(error)) throw error;
          receipt.outcome = ReceiptOutcome.RECEIPT_OUTCOME_FAILED;
          receipt.failureCode = error.reason;
          receipt.failureReason = error.message.slice(0, MAX_FAILURE_REASON);
        }
        await tx.execute(
          sql`insert into kit_privacy_receipts (tenant_id, request_id, action, receipt)
              values (${tenantId}, ${key}, ${task.action}, ${Buffer.from(participantV1.PrivacyReceipt.encode(receipt).finish())})`,
        );
        const facts = { requestId: task.requestId, action: participantV1.PrivacyAction[task.action] };
        if (receipt.outcome === ReceiptOutcome.RECEIPT_OUTCOME_FAILED)
          log.warn({ ...facts, code: receipt.failureCode }, 'privacy task cannot be carried out');
        else log.info(facts, 'privacy task carried out');
      }
      await deps.outbox.enqueue(tx, {
        type: RECEIPT_EVENT,
        tenantId,
        payloadType: 'parley.privacy.v1.PrivacyReceipt',
        messageType: participantV1.PrivacyReceipt,
        payload: receipt,
      });
    },
  };
}

/** The ParticipantService gRPC handlers: the inventory, and one subject's records as a stream. */
export function participantService(
  participant: PrivacyParticipant,
  deps: { db: Database; secret: SubjectHashKeys; pageSize?: number },
) {
  return {
    describeData: async (): Promise<participantV1.DescribeDataResponse> => ({
      participant: participant.name,
      categories: participant.categories,
    }),
    exportSubject: async (
      { request, caller, log }: RpcContext<participantV1.ExportSubjectRequest>,
      send: (item: participantV1.ExportSubjectResponse) => Promise<void>,
    ): Promise<void> => {
      const subject = request.subject ?? { accountIds: [], emails: [], phones: [], userIds: [] };
      const context = {
        tenantId: caller.tenantId,
        hashes: matchingHashes(deps.secret, caller.tenantId, subject),
        currentHashes: identifierHashes(deps.secret, caller.tenantId, subject),
        log,
      };
      // Each page is read in its own transaction and sent after it has ended: `send` waits while the
      // reader is slow (back-pressure) and fails once it has gone, and no transaction is open meanwhile.
      // A message carries a page of records (up to a page's worth, or about EXPORT_MESSAGE_BYTES): one
      // message per record cost more than reading them.
      const pageSize = deps.pageSize ?? EXPORT_PAGE_SIZE;
      for await (const records of exportPages(deps.db, participant, subject, context, pageSize)) {
        let batch: participantV1.ExportedRecord[] = [];
        let bytes = 0;
        for (const { category, record } of records) {
          const recordJson = JSON.stringify(record);
          const size = Buffer.byteLength(recordJson) + category.length;
          // A record that would take the message past the limit starts the next one.
          if (batch.length >= pageSize || (batch.length > 0 && bytes + size > EXPORT_MESSAGE_BYTES)) {
            await send({ category: '', recordJson: '', records: batch });
            batch = [];
            bytes = 0;
          }
          batch.push({ category, recordJson });
          bytes += size;
        }
        if (batch.length > 0) await send({ category: '', recordJson: '', records: batch });
      }
    },
  };
}

export { taskEvent as privacyTaskEvent };
