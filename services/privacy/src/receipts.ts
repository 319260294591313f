import { and, eq } from 'drizzle-orm';
import { PrivacyAction, ReceiptOutcome, receiptLine, type Outbox, type Transaction } from '@parley/kit';
import type { participantV1 } from '@parley/proto';
import { requestTasks, retentionRuns, subjectRequests, type SubjectRequestRow } from './db/schema';
import type { AuditLog } from './db/audit';
import type { ExportParts } from './db/exportParts';
import { loadRequest } from './db/requests';
import type { Notifier } from './notifications';
import { openStates } from './domain/requests';
import type { makeAssembleArchive } from './archives/assembleArchive';
import type { makeGatherExport } from './archives/gatherExport';
import { privacyParticipant } from './privacy';
import { emptyIdentifiers, sendTask } from './tasks';

export interface ReceiptsDeps {
  outbox: Outbox;
  audit: AuditLog;
  notifier: Notifier;
  /** The export parts gathered from participants, until the archive is made of them. */
  parts: ExportParts;
  gatherExport: ReturnType<typeof makeGatherExport>;
  assembleArchive: ReturnType<typeof makeAssembleArchive>;
  now?: () => Date;
}

/**
 * An export receipt's lines with the counts of what privacy gathered, in the same transaction that stored
 * it: one read of the participant's data gives both the records and their count (a participant that also
 * counted them, from before, may have counted a moment earlier). Every category the participant declared
 * keeps its line, with 0 when nothing of it came; a category that came but was not declared gets one.
 */
function exportedCounts(
  lines: participantV1.CategoryReceipt[],
  gathered: Map<string, number>,
): participantV1.CategoryReceipt[] {
  const declared = new Set(lines.map((line) => line.category));
  return [
    ...lines.map((line) => ({ ...line, exported: String(gathered.get(line.category) ?? 0) })),
    ...[...gathered]
      .filter(([category]) => !declared.has(category))
      .map(([category, count]) => receiptLine(category, { exported: String(count) })),
  ];
}

/**
 * Participants' receipts coming back: each is recorded (an export's records pulled with it), and the last
 * one completes the request, with its archive for an access or portability request, or closes the
 * retention run it belongs to. Every step writes to the audit chain in the same transaction.
 */
export class Receipts {
  constructor(private readonly deps: ReceiptsDeps) {}

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  private load(tx: Transaction, id: string): Promise<SubjectRequestRow> {
    return loadRequest(tx, id);
  }

  /** A participant's receipt: records it, pulls an export's records, and completes the request when all are in. */
  async onReceipt(tx: Transaction, tenantId: string, received: participantV1.PrivacyReceipt): Promise<void> {
    let receipt = received;
    const category =
      receipt.action === PrivacyAction.PRIVACY_ACTION_PURGE ? (receipt.categories[0]?.category ?? '') : '';
    const thisTask = and(
      eq(requestTasks.requestId, receipt.requestId),
      eq(requestTasks.participant, receipt.participant),
      eq(requestTasks.action, receipt.action),
      eq(requestTasks.category, category),
    );
    const [task] = await tx.select().from(requestTasks).where(thisTask);
    // A receipt seen again (redelivered, or answered twice) changes nothing.
    if (!task || task.state !== 'pending') return;
    const failed = receipt.outcome === ReceiptOutcome.RECEIPT_OUTCOME_FAILED;
    if (receipt.action === PrivacyAction.PRIVACY_ACTION_EXPORT && !failed) {
      const row = await this.load(tx, receipt.requestId);
      const gathered = await this.deps.gatherExport(tx, {
        tenantId,
        requestId: receipt.requestId,
        participant: receipt.participant,
        subject: { ...emptyIdentifiers, ...row.identifiers },
      });
      receipt = { ...receipt, categories: exportedCounts(receipt.categories, gathered) };
    }
    await tx
      .update(requestTasks)
      .set({
        state: failed ? 'failed' : 'done',
        completedAt: this.now(),
        receipt: receipt.categories.map((line) => ({ ...line })),
        failureCode: failed ? receipt.failureCode || 'FAILED' : null,
        failureReason: failed ? receipt.failureReason || 'the participant gave no reason' : null,
      })
      .where(thisTask);
    await this.deps.audit.record(
      tx,
      tenantId,
      `service:${receipt.participant}`,
      failed ? 'task.failed' : 'task.receipt',
      receipt.requestId,
      failed
        ? { participant: receipt.participant, code: receipt.failureCode, reason: receipt.failureReason }
        : { participant: receipt.participant, categories: receipt.categories },
    );
    if (
      receipt.action === PrivacyAction.PRIVACY_ACTION_RECTIFY &&
      receipt.participant !== privacyParticipant.name
    ) {
      await this.releaseOwnRectification(tx, tenantId, receipt.requestId);
    }
    const pending = await tx
      .select({ participant: requestTasks.participant })
      .from(requestTasks)
      .where(and(eq(requestTasks.requestId, receipt.requestId), eq(requestTasks.state, 'pending')));
    if (pending.length > 0) return;
    const [run] = await tx.select().from(retentionRuns).where(eq(retentionRuns.id, receipt.requestId));
    if (run) {
      const failures = await tx
        .select({ participant: requestTasks.participant })
        .from(requestTasks)
        .where(and(eq(requestTasks.requestId, run.id), eq(requestTasks.state, 'failed')));
      const state = failures.length > 0 ? 'partially_completed' : 'completed';
      await tx.update(retentionRuns).set({ state }).where(eq(retentionRuns.id, run.id));
      await this.deps.audit.record(tx, tenantId, 'service:privacy', 'retention.completed', run.id, { state });
      return;
    }
    await this.complete(tx, tenantId, receipt.requestId);
  }

  /**
   * A rectification reaches privacy's own records only after every holder accepted it: once the last
   * other participant has answered, privacy's task is sent if all of them applied the correction, and is
   * otherwise closed with nothing corrected (a value a holder refused never becomes privacy's copy).
   */
  private async releaseOwnRectification(tx: Transaction, tenantId: string, id: string): Promise<void> {
    // The request row is locked so that, of the receipts coming in at once, exactly one sees all the others.
    const [row] = await tx.select().from(subjectRequests).where(eq(subjectRequests.id, id)).for('update');
    if (!row) return;
    const tasks = await tx.select().from(requestTasks).where(eq(requestTasks.requestId, id));
    const own = tasks.find((task) => task.participant === privacyParticipant.name);
    const others = tasks.filter((task) => task.participant !== privacyParticipant.name);
    if (!own || own.state !== 'pending' || others.some((task) => task.state === 'pending')) return;
    const refused = others.filter((task) => task.state === 'failed').map((task) => task.participant);
    if (refused.length === 0) {
      await sendTask(this.deps.outbox, tx, {
        tenantId,
        row,
        participant: own.participant,
        action: PrivacyAction.PRIVACY_ACTION_RECTIFY,
      });
      return;
    }
    const receipt = privacyParticipant.categories.map((category) => receiptLine(category.id));
    await tx
      .update(requestTasks)
      .set({ state: 'done', completedAt: this.now(), receipt: receipt.map((line) => ({ ...line })) })
      .where(and(eq(requestTasks.requestId, id), eq(requestTasks.participant, own.participant)));
    await this.deps.audit.record(tx, tenantId, 'service:privacy', 'task.receipt', id, {
      participant: own.participant,
      categories: receipt,
      notApplied: `refused by ${refused.join(', ')}`,
    });
  }

  private async complete(tx: Transaction, tenantId: string, id: string): Promise<void> {
    const row = await this.load(tx, id);
    if (!openStates.includes(row.state)) return;
    const tasks = await tx.select().from(requestTasks).where(eq(requestTasks.requestId, id));
    // An erasure of the subject that overtook this export anonymised the request: no archive is made of
    // what was gathered before it, and the parts gathered go.
    const subjectErased = 'erased' in row.subject;
    if (subjectErased) await this.deps.parts.discard(tx, id);
    if ((row.type === 'access' || row.type === 'portability') && !subjectErased) {
      await this.deps.assembleArchive(
        tx,
        {
          request: {
            id,
            type: row.type,
            tenantId,
            receivedAt: row.receivedAt,
            completedAt: this.now(),
            jurisdiction: row.jurisdiction,
          },
          subject: { ...row.subject, identifiers: row.identifiers },
          participants: tasks.map((task) => ({ name: task.participant, receipt: task.receipt })),
        },
        row.requester,
      );
    }
    const kept = tasks
      .flatMap((task) => (task.receipt ?? []) as { kept?: string; keptBasis?: string }[])
      .filter((line) => Number(line.kept ?? 0) > 0);
    // A participant that could not carry out its part, or kept data under a law or a hold, makes the
    // request partially completed; the reason names each participant and why.
    const failures = tasks
      .filter((task) => task.state === 'failed')
      .map((task) => `${task.participant} could not carry it out: ${task.failureReason ?? task.failureCode}`);
    const keptBases = row.type === 'erasure' ? [...new Set(kept.map((line) => line.keptBasis ?? ''))] : [];
    const state = failures.length > 0 || keptBases.length > 0 ? 'partially_completed' : 'completed';
    const reason = state === 'partially_completed' ? [...failures, ...keptBases].join('; ') : row.reason;
    await tx
      .update(subjectRequests)
      .set({ state, completedAt: this.now(), reason })
      .where(eq(subjectRequests.id, id));
    await this.deps.audit.record(tx, tenantId, 'service:privacy', 'request.completed', id, {
      state,
      participants: tasks.map((task) => task.participant),
      failed: tasks.filter((task) => task.state === 'failed').map((task) => task.participant),
    });
    const contact = row.identifiers.emails?.[0];
    if (contact && row.type !== 'erasure') {
      await this.deps.notifier.send(tx, {
        tenantId,
        to: contact,
        subject: 'Your privacy request is complete',
        text: `Your ${row.type.replace('_', ' ')} request (${id}) is ${state.replace('_', ' ')}.`,
      });
    }
  }
}
