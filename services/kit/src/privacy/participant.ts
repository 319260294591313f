import { sql } from 'drizzle-orm';
import { participantV1 } from '@parley/proto';
import type { Database, Transaction } from '../db/database';
import { withTenant } from '../db/database';
import type { EventHandler } from '../events/inbox';
import type { Outbox } from '../events/outbox';
import { eraseDeadLetters } from '../events/deadLetters';
import type { Logger } from '../logging';
import type { RpcContext } from '../grpc/server';
import { identifierHashes, recordTombstone, setRestricted, type SubjectIdentifiers } from './subjects';

export type DataCategory = participantV1.DataCategory;
export type CategoryReceipt = participantV1.CategoryReceipt;
export const PrivacyAction = participantV1.PrivacyAction;

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
    ...Object.fromEntries(
      Object.entries(counts).map(([key, value]) => [key, typeof value === 'number' ? String(value) : value]),
    ),
  } as CategoryReceipt;
}

export interface ActionContext {
  tenantId: string;
  /** Salted hashes of the subject's identifiers (for tombstones and restriction checks). */
  hashes: string[];
  log: Logger;
}

/**
 * What a service implements to take part in data-subject requests (see services/kit/PRIVACY.md). Every
 * method runs inside a transaction with the tenant set, so row-level security scopes it; the kit records
 * the receipt in the same transaction, which makes every action idempotent per request.
 */
export interface PrivacyParticipant {
  /** The participant's name: its service name, e.g. "identity". */
  name: string;
  /** The data inventory: every category of personal data it holds. */
  categories: DataCategory[];
  /** Streams the subject's records; read in batches so a million rows need no more memory than a thousand. */
  export(
    tx: Transaction,
    subject: SubjectIdentifiers,
    context: ActionContext,
  ): AsyncIterable<{ category: string; record: Record<string, unknown> }>;
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

/** Counts the export records per category, for the receipt of an export task. */
async function countExport(
  participant: PrivacyParticipant,
  tx: Transaction,
  subject: SubjectIdentifiers,
  context: ActionContext,
) {
  const counts = new Map(participant.categories.map((category) => [category.id, 0]));
  for await (const { category } of participant.export(tx, subject, context))
    counts.set(category, (counts.get(category) ?? 0) + 1);
  return [...counts].map(([category, exported]) => receiptLine(category, { exported: String(exported) }));
}

/**
 * The durable consumer of `privacy.task.requested.<participant>`: carries out the task in the inbox
 * transaction, stores the receipt, and publishes it as `privacy.receipt.submitted` through the outbox. A
 * task seen again (re-sent by privacy, or redelivered) returns the stored receipt and changes nothing.
 */
export function participantTaskHandler(deps: {
  participant: PrivacyParticipant;
  outbox: Outbox;
  secret: string;
}): EventHandler<participantV1.PrivacyTask> {
  const { participant } = deps;
  return {
    durable: `${participant.name}-on-privacy-task`,
    eventType: taskEvent(participant.name),
    messageType: participantV1.PrivacyTask,
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
        const hashes = identifierHashes(deps.secret, tenantId, subject);
        const context: ActionContext = { tenantId, hashes, log };
        let categories: CategoryReceipt[];
        switch (task.action) {
          case PrivacyAction.PRIVACY_ACTION_EXPORT:
            categories = await countExport(participant, tx, subject, context);
            break;
          case PrivacyAction.PRIVACY_ACTION_ERASE:
            categories = await participant.erase(tx, subject, {
              ...context,
              hold: task.legalHoldReason || undefined,
            });
            if (!task.legalHoldReason) {
              await recordTombstone(tx, tenantId, hashes);
              // Parked copies of events about the subject go too (they are kept only for operators).
              // The receipt names them only when there were some, so it still lists the declared categories.
              const parked = await eraseDeadLetters(tx, tenantId, hashes);
              if (parked > 0) {
                categories = [
                  ...categories,
                  receiptLine(PARKED_EVENTS_CATEGORY, { deleted: String(parked) }),
                ];
              }
            }
            break;
          case PrivacyAction.PRIVACY_ACTION_RECTIFY:
            categories = await participant.rectify(
              tx,
              subject,
              JSON.parse(task.changesJson || '{}') as Record<string, unknown>,
              context,
            );
            break;
          case PrivacyAction.PRIVACY_ACTION_RESTRICT:
          case PrivacyAction.PRIVACY_ACTION_UNRESTRICT: {
            const restricted = task.action === PrivacyAction.PRIVACY_ACTION_RESTRICT;
            await setRestricted(tx, tenantId, hashes, restricted);
            categories = await participant.restrict(tx, subject, restricted, context);
            break;
          }
          case PrivacyAction.PRIVACY_ACTION_PURGE: {
            // A purge answers for its one category: privacy matches the receipt to the task by it.
            const lines = await participant.purge(tx, task.purgeCategory, task.purgeBefore ?? new Date(0), {
              tenantId,
              log,
            });
            categories = [
              lines.find((line) => line.category === task.purgeCategory) ?? receiptLine(task.purgeCategory),
            ];
            break;
          }
          default:
            throw new Error(`unknown privacy action ${task.action}`);
        }
        receipt = {
          requestId: task.requestId,
          participant: participant.name,
          action: task.action,
          categories,
          completedAt: new Date(),
        };
        await tx.execute(
          sql`insert into kit_privacy_receipts (tenant_id, request_id, action, receipt)
              values (${tenantId}, ${key}, ${task.action}, ${Buffer.from(participantV1.PrivacyReceipt.encode(receipt).finish())})`,
        );
        log.info(
          { requestId: task.requestId, action: participantV1.PrivacyAction[task.action] },
          'privacy task carried out',
        );
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
export function participantService(participant: PrivacyParticipant, deps: { db: Database; secret: string }) {
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
      await withTenant(deps.db, caller.tenantId, async (tx) => {
        const context = {
          tenantId: caller.tenantId,
          hashes: identifierHashes(deps.secret, caller.tenantId, subject),
          log,
        };
        for await (const { category, record } of participant.export(tx, subject, context)) {
          await send({ category, recordJson: JSON.stringify(record) });
        }
      });
    },
  };
}

export { taskEvent as privacyTaskEvent };
